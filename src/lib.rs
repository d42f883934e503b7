pub mod dictionary;
pub mod matcher;
pub mod text;
