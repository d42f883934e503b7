//! Normalize: names to canonical entities, in order, with candidates.

use entex::proto::entex_v1::{self as pb, MatchKind};

use crate::helpers::spawn_app;

async fn normalize(app: &crate::helpers::TestApp, names: &[&str], types: &[&str]) -> pb::NormalizeResponse {
    let request = pb::NormalizeRequest {
        names: names.iter().map(|n| n.to_string()).collect(),
        options: Some(pb::NormalizeOptions {
            entity_types: types.iter().map(|t| t.to_string()).collect(),
            min_score: 0.0,
            dictionaries: Vec::new(),
        }),
    };
    app.client.clone().normalize(request).await.unwrap().into_inner()
}

#[tokio::test(flavor = "multi_thread")]
async fn resolves_in_order_with_kinds_and_scores() {
    let app = spawn_app().await;
    let names = [
        "Hizballah Brigades",
        "KATA'IB HIZBALLAH",
        "كتائب حزب الله",
        "Washington Post",
        "Kataib Hezbollah",
        "Zzyzx Qqq",
    ];
    let response = normalize(&app, &names, &[]).await;
    assert_eq!(response.resolutions.len(), names.len());
    for (resolution, name) in response.resolutions.iter().zip(names) {
        assert_eq!(resolution.query, name);
    }
    let r = &response.resolutions;
    let id = |i: usize| r[i].entity.as_ref().map(|e| e.id.as_str()).unwrap_or("");
    assert_eq!(id(0), "org:kataib-hezbollah");
    assert_eq!(r[0].match_kind(), MatchKind::Exact);
    assert_eq!(r[0].score, 1.0);
    assert_eq!(id(1), "org:kataib-hezbollah");
    assert_eq!(r[1].match_kind(), MatchKind::Normalized);
    assert!(r[1].score < 1.0 && r[1].score > 0.9);
    assert_eq!(id(2), "org:kataib-hezbollah");
    // A news outlet resolves to nothing: no entity, no candidates, no error.
    assert_eq!(id(3), "");
    assert_eq!(r[3].match_kind(), MatchKind::Unspecified);
    assert_eq!(r[3].score, 0.0);
    assert!(r[3].candidates.is_empty());
    let kh = r[4].entity.as_ref().unwrap();
    assert_eq!(kh.canonical_name, "Kataib Hezbollah");
    assert_eq!(kh.r#type, "ORG");
    assert_eq!(kh.aliases[0], "Kataib Hezbollah");
    assert!(kh.aliases.iter().any(|a| a == "Hezbollah Brigades"));
    assert_eq!(id(5), "");
    assert_eq!(response.dictionary_version.len(), 16);
}

#[tokio::test(flavor = "multi_thread")]
async fn ambiguous_names_list_their_candidates() {
    let app = spawn_app().await;
    let response = normalize(&app, &["Assad", "al-Assad"], &[]).await;
    for resolution in &response.resolutions {
        let ids: Vec<&str> = resolution.candidates.iter().map(|c| c.entity.as_ref().unwrap().id.as_str()).collect();
        assert!(ids.contains(&"per:bashar-al-assad") && ids.contains(&"per:osama-al-assad"), "{ids:?}");
        // Declared default first; a default answer is marked less certain.
        assert_eq!(ids[0], "per:bashar-al-assad");
        if let Some(entity) = &resolution.entity {
            assert_eq!(entity.id, "per:bashar-al-assad");
            assert!(resolution.score < 0.9);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn type_option_restricts_resolution() {
    let app = spawn_app().await;
    let response = normalize(&app, &["Hezbollah", "Beirut"], &["LOC"]).await;
    assert!(response.resolutions[0].entity.is_none());
    assert_eq!(response.resolutions[1].entity.as_ref().unwrap().id, "loc:beirut");
}
