//! Every bug the fuzz targets found, one named row each. A row of a bug
//! that is not fixed yet is `#[ignore]`d (`cargo test -- --ignored` shows
//! it failing), and the targets let exactly its shape through
//! (`entex_fuzz::OPEN_BUGS`) unless `ENTEX_FUZZ_STRICT=1`. When a fix
//! lands: drop the `#[ignore]`, and the entry in `OPEN_BUGS`; its input
//! goes to `fuzz/regressions/<target>/<name>`, which `tests/replay.rs`
//! runs through the target. None is open now.

use entex::dictionary::{SourceText, artefact, build};
use entex_fuzz::{artefact::craft, grapheme_boundaries};

/// The spans (as text) of the mentions of `text`, with a dictionary of
/// headerless TSV rows.
fn spans(tsv: &str, text: &str) -> Vec<(usize, usize, String)> {
    let dictionary = build(&[SourceText::new("rows.tsv", tsv)]).expect("the dictionary builds");
    dictionary
        .extract(text)
        .iter()
        .map(|m| (m.span.start, m.span.end, text[m.span.start..m.span.end].to_owned()))
        .collect()
}

/// nfd-mark-end (fixed on main: spans widened to grapheme clusters):
/// "José" written in NFD (e + U+0301) lost its accent, the span ending
/// inside the last grapheme cluster.
#[test]
fn nfd_name_keeps_its_final_combining_mark() {
    assert_eq!(spans("José\tper:jose\n", "Jose\u{301} spoke"), [(0, 6, "Jose\u{301}".to_owned())]);
    assert_eq!(spans("नमस्ते\tloc:x\n", "नमस्ते दिल्ली"), [(0, 18, "नमस्ते".to_owned())]);
}

/// Whether every span of `text`'s mentions starts and ends on a grapheme
/// cluster boundary, and there is at least one.
fn on_clusters(tsv: &str, text: &str) -> bool {
    let bounds = grapheme_boundaries(text);
    let spans = spans(tsv, text);
    !spans.is_empty() && spans.iter().all(|(s, e, _)| bounds.contains(s) && bounds.contains(e))
}

/// extend-end (fixed on main, as nfd-mark-end): a ZWNJ (U+200C, Persian
/// text has them everywhere) or a ZWJ after a name's last letter belongs
/// to its grapheme cluster; folding drops it, and the span ended before
/// it. An emoji modifier after a letter (U+1F3FD) extends the cluster too;
/// folding takes it for punctuation.
#[test]
fn span_ends_after_joiners_and_modifiers_of_its_last_letter() {
    assert_eq!(spans("Houthis\torg:houthis\n", "the Houthis\u{200c} drones"), [(4, 14, "Houthis\u{200c}".to_owned())]);
    assert!(on_clusters("Houthis\torg:houthis\n", "the Houthis\u{200d} drones"));
    assert!(on_clusters("Hezbollah\torg:hezbollah\n", "Hezbollah\u{1f3fd} said"));
}

/// prepend-start (fixed on main, as nfd-mark-end): U+0600 ARABIC NUMBER
/// SIGN is a prepended character (it joins the grapheme cluster of what
/// follows) and a format character, which folding drops; the span started
/// after it, inside the cluster "\u{600}I".
#[test]
fn span_after_a_prepended_format_character_starts_on_the_cluster() {
    assert_eq!(spans("Iraq\tloc:iraq\n", "\u{600}Iraq said"), [(0, 6, "\u{600}Iraq".to_owned())]);
}

/// glued-trailing-punct (fixed in `src/matcher/spans.rs`): rule 9 took the
/// text's trailing full stop into the span of an alias written with one
/// ("U.S."), even when a letter follows it ("U.S.A"), so the span ended in
/// the middle of a token, next to a letter.
#[test]
fn trailing_punctuation_is_not_taken_when_a_letter_follows() {
    assert_eq!(spans("U.S.\tloc:us\n", "the U.S.A said"), [(4, 7, "U.S".to_owned())]);
    assert_eq!(spans("Corp.\torg:corp\n", "Acme Corp.Ltd"), [(5, 9, "Corp".to_owned())]);
    // With nothing glued on, the stop stays in the span.
    assert_eq!(spans("U.S.\tloc:us\n", "the U.S. said"), [(4, 8, "U.S.".to_owned())]);
}

/// artefact-automaton-unchecked: the loader checked an artefact's tables
/// against each other, but not its automaton against its keys.
///
/// On the daachorse automaton (fixed when main replaced it: its inputs are
/// `fuzz/regressions/artefact/daachorse-*`, now refused as another layout),
/// a scan then overflowed in `Match::start`, yielded an empty match, or
/// looped for ever. The word trie that replaced it had the same class of
/// bug (found by review, then confirmed with these crafted files): a word
/// table without a free slot made every probe for an unknown word endless
/// (a server hangs on its first document), and a reshaped trie, a wrong
/// root index, a doubled terminal, a missing word or a cleared filter
/// loaded and then linked the wrong entity or found nothing. The scanner's
/// load check (`Scanner::read`) now checks the automaton whole.
#[test]
fn crafted_automaton_with_valid_checksum_is_refused() {
    // The crafting itself is sound: the unchanged columns load and match.
    let intact = entex_fuzz::artefact::file(&craft::payload(&craft::iran_iraq()), 0);
    let dictionary = artefact::from_bytes(&intact, "intact").expect("the unchanged artefact loads");
    assert_eq!(dictionary.extract("Iran and Iraq").len(), 2);

    let cases = craft::cases();
    assert!(cases.len() >= 7);
    for (name, payload) in cases {
        let file = entex_fuzz::artefact::file(&payload, 0);
        let error = artefact::from_bytes(&file, name).err().unwrap_or_else(|| panic!("{name}: accepted"));
        let message = error.problems[0].to_string();
        assert!(message.contains("automaton"), "{name}: refused for another reason: {message}");
    }
}

/// ypogegrammeni-word (found by the `fold` campaign; fixed by folding's
/// cluster rule, src/text):
/// U+0345 COMBINING GREEK YPOGEGRAMMENI is a combining mark that case-folds
/// to the letter ι, so folding makes it a word of its own even where it
/// extends another word's grapheme cluster: after an emoji modifier,
/// `"x\u{1f3fd}\u{345}"` folds to `" x | ι "`. A mention of that word is
/// widened to the whole cluster and takes in the letter `x`: the alias `ι`
/// gives the mention `"x\u{1f3fd}\u{345}"`. Expected: no mention (the
/// mark belongs to the cluster of `x`). Fixed: a letter that extends a
/// cluster which ended no word folds as a mark.
#[test]
fn a_mark_that_folds_to_a_letter_is_no_word_inside_another_cluster() {
    assert_eq!(spans("ι\tmisc:iota\n", "x\u{1f3fd}\u{345} said"), []);
}

/// prepend-letter (found by the `fold` campaign; fixed by folding's cluster
/// rule, src/text):
/// U+0D4E MALAYALAM LETTER DOT REPH is a letter and a *prepended*
/// character: it joins the grapheme cluster of what follows. Folding keeps
/// it with the first word after it, and `½` folds to two words, so
/// `"\u{d4e}½"` folds to `" \u{d4e}1 | 2 "`: one cluster, two words. A
/// mention of the second word is widened to the whole cluster: the alias
/// `2` gives the mention `"\u{d4e}½"`, whose text folds to more than its
/// alias. Expected: no mention of a word that shares its cluster with a
/// letter of another word. Fixed: the character after a prepended letter
/// joins its word (`" \u{d4e}12 "`), so `2` is no word of its own.
#[test]
fn a_prepended_letter_is_not_taken_into_a_later_word() {
    assert_eq!(spans("2\tmisc:two\n", "\u{d4e}½ said"), []);
}

/// prepend-letter-joiner (found by the `fold` campaign of a6a4e06; fixed by
/// folding's cluster rule, src/text): a grapheme cluster runs on past the
/// character after a prepended letter. In `"\u{d4e}®\u{200d}\u{1f237}"`
/// the reph joins `®`, and `®` ZWJ `🈷` is an emoji sequence (rule GB11),
/// so all four are one cluster; `®` folded to punctuation and `🈷` to the
/// letter `月`, a word of its own whose mention, widened to the cluster,
/// took in the reph. The same without a prepended letter: `™` and `ℹ` are
/// pictographs that fold to letters, and an emoji modifier between them
/// folded to punctuation. And a prepended character that folding drops
/// (U+0600) still joins the fraction after it to the word before.
/// Fixed: a separator inside the cluster of the word just written glues
/// the rest of the cluster to that word.
#[test]
fn a_cluster_joined_through_an_emoji_sequence_is_one_word() {
    assert_eq!(spans("月\tmisc:moon\n", "\u{d4e}®\u{200d}\u{1f237} said"), []);
    assert_eq!(spans("ℹ\tmisc:info\n", "™\u{1f3fd}\u{200d}ℹ said"), []);
    assert_eq!(spans("2\tmisc:two\n", "x\u{600}½ said"), []);
    // A pictograph that begins its own cluster still makes its own word.
    assert_eq!(spans("月\tmisc:moon\n", "x \u{1f237} said"), [(2, 6, "\u{1f237}".to_owned())]);
}

/// wide-char-before-article (found by the `dictionary` campaign of f271399,
/// 2 crashes; fixed in src/matcher/surnames.rs): rule 16 takes an article
/// joined by a hyphen into a surname variant's span ("el-Dabbaq"), and
/// found where that article starts one byte after the last non-letter
/// before it. After a wide character (U+FFFD, which the target's lossy
/// decoding makes of a stray byte; an em dash) that byte is inside the
/// character, and slicing there panicked. Fixed: the article starts after
/// the non-letter's last byte.
#[test]
fn an_article_after_a_wide_character_joins_the_surname() {
    let toml = "[[entity]]\nid = \"per:yusuf\"\ntype = \"PER\"\nname = \"Yusuf al-Dabbagh\"\n";
    let dictionary = build(&[SourceText::new("people.toml", toml)]).expect("the dictionary builds");
    let text = "Yusuf al-Dabbagh left. \u{fffd}el-Dabbaq said so.";
    let spans: Vec<&str> = dictionary.extract(text).iter().map(|m| &text[m.span.start..m.span.end]).collect();
    assert_eq!(spans, ["Yusuf al-Dabbagh", "el-Dabbaq"]);
}
