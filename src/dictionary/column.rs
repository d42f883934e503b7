//! [`Column`]: a table of plain values that is either owned (a dictionary
//! built from sources) or a view into a mapped artefact file (a dictionary
//! loaded with `serve --compiled`).
//!
//! # Why mapped
//!
//! A large dictionary's tables are hundreds of megabytes. Mapped, they are
//! page cache rather than each process's own heap: replicas on one node
//! share one copy, the kernel pages in only what the scan touches, and a
//! cold start reads nothing before serving. Every mapped column is checked
//! for size and alignment when it is made ([`Column::mapped`]), and its
//! contents by the owner's consistency checks, before anything indexes it.
//!
//! # Invariants
//!
//! - A mapped column lies wholly inside its map, at an offset aligned for
//!   `T`; `T` is plain data ([`bytemuck::Pod`]), so any bytes are a valid
//!   value and a view never reads outside the map.
//! - The map is read-only and outlives every column made from it (each
//!   holds an `Arc`).

use std::{marker::PhantomData, ops::Deref, sync::Arc};

use bytemuck::Pod;

/// A read-only mapped file, shared by the columns viewing it.
pub(crate) type Map = Arc<memmap2::Mmap>;

/// A table of `T`: owned, or viewed in a mapped file.
pub(crate) enum Column<T: Pod> {
    Owned(Vec<T>),
    Mapped { map: Map, start: usize, len: usize, _t: PhantomData<T> },
}

impl<T: Pod> Default for Column<T> {
    fn default() -> Self {
        Column::Owned(Vec::new())
    }
}

impl<T: Pod> Clone for Column<T> {
    fn clone(&self) -> Self {
        match self {
            Column::Owned(v) => Column::Owned(v.clone()),
            Column::Mapped { map, start, len, .. } => {
                Column::Mapped { map: map.clone(), start: *start, len: *len, _t: PhantomData }
            }
        }
    }
}

impl<T: Pod + std::fmt::Debug> std::fmt::Debug for Column<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = if matches!(self, Column::Owned(_)) { "owned" } else { "mapped" };
        write!(f, "Column({kind}, {} values)", self.len())
    }
}

impl<T: Pod> From<Vec<T>> for Column<T> {
    fn from(values: Vec<T>) -> Self {
        Column::Owned(values)
    }
}

impl<T: Pod> Deref for Column<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match self {
            Column::Owned(v) => v,
            Column::Mapped { map, start, len, .. } => {
                // Checked in `mapped`: in range, aligned, a whole number of T.
                bytemuck::cast_slice(&map[*start..*start + len * std::mem::size_of::<T>()])
            }
        }
    }
}

impl<T: Pod> Column<T> {
    /// A view of `bytes` bytes of `map` from `start` as a table of `T`.
    ///
    /// # Errors
    ///
    /// The range is outside the map, or not aligned or sized for `T`.
    pub(crate) fn mapped(map: &Map, start: usize, bytes: usize) -> Result<Self, String> {
        let range = map
            .get(start..start.checked_add(bytes).ok_or("a column overflows")?)
            .ok_or("a column lies outside the file")?;
        let values: &[T] = bytemuck::try_cast_slice(range).map_err(|e| format!("a column is misaligned: {e}"))?;
        Ok(Column::Mapped { map: map.clone(), start, len: values.len(), _t: PhantomData })
    }

    /// A copy in memory (for owned bytes read without a map).
    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        if !bytes.len().is_multiple_of(std::mem::size_of::<T>()) {
            return Err("a column's length is not a whole number of values".to_owned());
        }
        let mut values = vec![T::zeroed(); bytes.len() / std::mem::size_of::<T>()];
        bytemuck::cast_slice_mut(&mut values).copy_from_slice(bytes);
        Ok(Column::Owned(values))
    }

    /// Heap bytes this process owns for it (0 when mapped: page cache).
    pub(crate) fn owned_bytes(&self) -> usize {
        match self {
            Column::Owned(v) => v.capacity() * std::mem::size_of::<T>(),
            Column::Mapped { .. } => 0,
        }
    }

    /// Bytes of the table, owned or mapped.
    pub(crate) fn table_bytes(&self) -> usize {
        self.len() * std::mem::size_of::<T>()
    }
}

/// Where [`ColumnWriter`] puts an artefact's bytes: memory, or a file as
/// they come (`entex compile` streams a catalogue's hundreds of megabytes
/// rather than holding them beside the dictionary they encode).
pub(crate) trait ColumnSink {
    fn put(&mut self, bytes: &[u8]);
    /// Bytes put so far.
    fn written(&self) -> usize;
}

impl ColumnSink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }

    fn written(&self) -> usize {
        self.len()
    }
}

/// Appends columns to an artefact: each a `u64` byte length, padding to 8
/// bytes, then its bytes (so a mapped column is aligned for any `T`).
pub(crate) struct ColumnWriter<'o> {
    pub out: &'o mut dyn ColumnSink,
    /// Where the sink's first byte lies in the file, so that alignment is
    /// absolute.
    pub base: usize,
}

impl ColumnWriter<'_> {
    fn pad(&mut self) {
        let misalignment = (self.base + self.out.written()) % 8;
        if misalignment != 0 {
            self.out.put(&[0; 8][misalignment..]);
        }
    }

    pub fn bytes(&mut self, bytes: &[u8]) {
        self.out.put(&(bytes.len() as u64).to_le_bytes());
        self.pad();
        self.out.put(bytes);
        self.pad();
    }

    pub fn column<T: Pod>(&mut self, column: &[T]) {
        self.bytes(bytemuck::cast_slice(column));
    }
}

/// Reads what [`ColumnWriter`] wrote: columns viewed in a map, or copied
/// from plain bytes.
pub(crate) struct ColumnReader<'b> {
    pub bytes: &'b [u8],
    /// The map `bytes` belongs to, starting at file offset 0, if mapped.
    pub map: Option<&'b Map>,
    /// Where `bytes[0]` lies in the file.
    pub base: usize,
    pub pos: usize,
}

impl ColumnReader<'_> {
    fn align(&mut self) {
        while !(self.base + self.pos).is_multiple_of(8) {
            self.pos += 1;
        }
    }

    fn next_bytes(&mut self, what: &str) -> Result<(usize, usize), String> {
        let len = self
            .bytes
            .get(self.pos..self.pos + 8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
            .ok_or_else(|| format!("the {what} column is cut short"))?;
        self.pos += 8;
        self.align();
        let len = usize::try_from(len).map_err(|_| format!("the {what} column is too long"))?;
        let start = self.pos;
        if self.bytes.len().saturating_sub(start) < len {
            return Err(format!("the {what} column is cut short"));
        }
        self.pos += len;
        self.align();
        Ok((start, len))
    }

    pub fn raw(&mut self, what: &str) -> Result<&[u8], String> {
        let (start, len) = self.next_bytes(what)?;
        Ok(&self.bytes[start..start + len])
    }

    pub fn column<T: Pod>(&mut self, what: &str) -> Result<Column<T>, String> {
        let (start, len) = self.next_bytes(what)?;
        match self.map {
            Some(map) => Column::mapped(map, self.base + start, len).map_err(|e| format!("{what}: {e}")),
            None => Column::from_bytes(&self.bytes[start..start + len]).map_err(|e| format!("{what}: {e}")),
        }
    }

    pub fn is_done(&self) -> bool {
        self.pos >= self.bytes.len()
    }
}
