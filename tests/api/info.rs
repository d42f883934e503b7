//! GetDictionaryInfo: version, counts, sources, load time.

use entex::proto::entex_v1 as pb;

use crate::helpers::spawn_app;

#[tokio::test(flavor = "multi_thread")]
async fn describes_the_loaded_dictionary() {
    let app = spawn_app().await;
    let info = app.client.clone().get_dictionary_info(pb::GetDictionaryInfoRequest {}).await.unwrap().into_inner();
    assert_eq!(info.version.len(), 16);
    assert!(info.entity_count >= 110, "{}", info.entity_count);
    assert!(info.alias_count > info.entity_count);
    assert!(!info.sources.is_empty());
    for source in &info.sources {
        assert!(source.name.starts_with("embedded:default/"), "{}", source.name);
        assert_eq!(source.sha256.len(), 64);
    }
    assert_eq!(info.sources.iter().map(|s| s.entity_count).sum::<u64>(), info.entity_count);
    let by_type: u64 = info.entities_by_type.values().sum();
    assert_eq!(by_type, info.entity_count);
    for kind in ["ORG", "PER", "LOC"] {
        assert!(info.entities_by_type.get(kind).copied().unwrap_or(0) > 0, "{kind}");
    }
    let loaded = info.loaded_at.expect("loaded_at");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!((now - loaded.seconds).abs() < 600, "loaded_at {loaded:?} is not recent");
    assert!(info.build_seconds > 0.0);
    // Every response names this version.
    assert_eq!(app.extract(&[("a", "Iran")]).await.dictionary_version, info.version);
}
