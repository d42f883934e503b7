//! Titles, ranks and honorifics: words that precede a name without being
//! part of it ("Maj. Gen. Qassem Soleimani", "Sheikh Qais al-Khazali").
//! Mention spans never include them (the gold rule); the resolver drops
//! them from queries; a Normalize-only alias that starts with one is
//! never matched in running text, so it cannot swallow the name after it.

/// Title words, folded ([`super::fold_key`] form, one word each).
const TITLES: &[&str] = &[
    "maj",
    "major",
    "gen",
    "general",
    "lt",
    "lieutenant",
    "col",
    "colonel",
    "brig",
    "brigadier",
    "cmdr",
    "commander",
    "adm",
    "admiral",
    "capt",
    "captain",
    "sgt",
    "sergeant",
    "cpl",
    "pvt",
    "sheikh",
    "shaykh",
    "sheik",
    "shaikh",
    "sayyed",
    "sayyid",
    "sayed",
    "seyed",
    "seyyed",
    "syed",
    "hajj",
    "haj",
    "haji",
    "hajji",
    "ayatollah",
    "grand",
    "hojatoleslam",
    "hojjatoleslam",
    "mullah",
    "imam",
    "president",
    "prime",
    "minister",
    "pm",
    "dr",
    "mr",
    "mrs",
    "ms",
    "king",
    "crown",
    "prince",
    "emir",
    "speaker",
    "spokesman",
    "chief",
    "secretary",
    "deputy",
    "senator",
    "sen",
    "rep",
    "congressman",
    "congresswoman",
    "governor",
    "gov",
];

/// Words that qualify a title before a name ("Foreign Minister", "Attorney
/// General", "Secretary of State", "National Security Adviser"): not
/// titles alone ("Foreign Affairs Committee", "State Department" are
/// names), folded.
const QUALIFIERS: &[&str] = &[
    "adviser", "advisor", "attorney", "defence", "defense", "economy", "energy", "finance", "foreign", "health",
    "home", "interior", "justice", "national", "of", "oil", "press", "security", "state", "treasury",
];

/// Whether a folded word is a title.
pub fn is_title(folded_word: &str) -> bool {
    TITLES.contains(&folded_word)
}

/// Whether a folded word may stand in a title phrase with a title word
/// ([`QUALIFIERS`]).
pub fn is_title_qualifier(folded_word: &str) -> bool {
    QUALIFIERS.contains(&folded_word)
}

/// Whether a padded folded key starts with a title word.
pub fn starts_with_title(key: &str) -> bool {
    key.split_whitespace().next().is_some_and(is_title)
}
