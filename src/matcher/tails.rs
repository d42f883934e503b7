//! After stage 4 of [`super::extract`]: generic nouns after a name (rule
//! 14). The guidelines keep a trailing generic noun out of a name's span
//! ("the [Houthi] movement", "the [Hashd] commission"), but a dictionary
//! may list the longer form as an alias ("Houthi movement") and the scan
//! takes the longest alias. So a mention whose last word is written in
//! lower case and is one of [`GENERIC_TAILS`] ends before that word when
//! the words before it are an alias of the same entity (checked like any
//! alias: its case rule, extractable). Capitalised, the noun is part of the
//! name ("Amal Movement"), as rule 6 has it for place descriptors.
//!
//! # Cost
//!
//! One word comparison per mention; a fold and a lookup only for a mention
//! that ends in a lower-case generic noun.

use crate::{
    dictionary::Dictionary,
    text::{CaseMode, UnitCounter, fold_key},
    vocabulary::{GENERIC_TAILS, MatchKind, Mention},
};

/// Rule 14 over the linked mentions of `text`, in text order.
pub(super) fn trim_generic_tails<'d>(
    dict: &'d Dictionary,
    text: &str,
    mut mentions: Vec<Mention<'d>>,
) -> Vec<Mention<'d>> {
    let mut units: Option<UnitCounter> = None;
    for m in &mut mentions {
        let Some(entity) = m.entity else { continue };
        let written = &text[m.span.start..m.span.end];
        let Some((head, tail)) = written.rsplit_once(char::is_whitespace) else { continue };
        let head = head.trim_end();
        if head.is_empty()
            || !tail.chars().next().is_some_and(char::is_lowercase)
            || !GENERIC_TAILS.contains(&tail.to_lowercase().as_str())
        {
            continue;
        }
        let Some(key) = dict.key(&fold_key(head, CaseMode::Fold)) else { continue };
        let preserved = fold_key(head, CaseMode::Preserve);
        let Some(claim) = dict
            .key_claims(key)
            .iter()
            .find(|c| c.entity == entity && c.extract() && dict.after(c).is_none() && dict.case_matches(c, &preserved))
        else {
            continue;
        };
        let end = m.span.start + head.len();
        let units = units.get_or_insert_with(|| UnitCounter::new(text));
        m.span = super::spans::grapheme_span(units, text, m.span.start, end);
        let exact = dict.spellings(claim).find(|w| *w == head);
        m.alias = exact.unwrap_or_else(|| dict.spelling(claim));
        if matches!(m.kind, MatchKind::Exact | MatchKind::Normalized) {
            m.kind = if exact.is_some() { MatchKind::Exact } else { MatchKind::Normalized };
        }
    }
    mentions
}

#[cfg(test)]
mod tests {
    use crate::dictionary::{SourceText, build};

    const DICT: &str = r#"
[[entity]]
id = "org:zagros-movement"
type = "ORG"
name = "Zagros Movement"
aliases = ["Zagros", "Zagros movement"]

[[entity]]
id = "org:nineveh-guard"
type = "ORG"
name = "Nineveh Guard"
aliases = ["Nineveh Guard militia"]

[[entity]]
id = "org:sinjar-alliance"
type = "ORG"
name = "Sinjar alliance"
"#;

    /// (name, text, every mention as "text=id")
    const ROWS: &[(&str, &str, &[&str])] = &[
        (
            "lower-case generic noun left out",
            "Fighters of the Zagros movement crossed.",
            &["Zagros=org:zagros-movement"],
        ),
        ("capitalised, part of the name", "The Zagros Movement denied it.", &["Zagros Movement=org:zagros-movement"]),
        ("the name without it", "The Nineveh Guard militia withdrew.", &["Nineveh Guard=org:nineveh-guard"]),
        (
            "kept when the rest is no alias of the entity",
            "The Sinjar alliance met.",
            &["Sinjar alliance=org:sinjar-alliance"],
        ),
    ];

    #[test]
    fn generic_tails() {
        let dict = build(&[SourceText::new("t.toml", DICT)]).unwrap();
        let render = |text: &str, options: &crate::matcher::ExtractOptions| {
            crate::matcher::tests::rendered(&dict, text, options)
        };
        let on = crate::matcher::ExtractOptions::default();
        for (name, text, want) in ROWS {
            assert_eq!(render(text, &on), *want, "{name}: {text:?}");
        }
        let off = crate::matcher::ExtractOptions {
            rules: crate::matcher::MatchRules { generic_tails: false, ..Default::default() },
            ..Default::default()
        };
        assert_eq!(render(ROWS[0].1, &off), ["Zagros movement=org:zagros-movement"]);
    }
}
