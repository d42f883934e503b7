//! Extract: mentions, offsets in three units, order, options, match kinds.

use entex::proto::entex_v1::{self as pb, MatchKind};

use crate::helpers::{docs, spawn_app};

fn summary(m: &pb::Mention) -> (String, String, String) {
    (m.text.clone(), m.entity_id.clone(), m.r#type.clone())
}

#[tokio::test(flavor = "multi_thread")]
async fn finds_links_and_orders_mentions() {
    let app = spawn_app().await;
    let text = "Kataib Hezbollah, also called Hezbollah Brigades, is not Lebanese Hezbollah; \
                the IRGC-QF under Qasem Soleimani backed it in Iraq.";
    let response = app.extract(&[("d1", text)]).await;
    assert_eq!(response.results.len(), 1);
    let result = &response.results[0];
    assert_eq!(result.id, "d1");
    let got: Vec<_> = result.mentions.iter().map(summary).collect();
    let want = [
        ("Kataib Hezbollah", "org:kataib-hezbollah", "ORG"),
        ("Hezbollah Brigades", "org:kataib-hezbollah", "ORG"),
        ("Lebanese Hezbollah", "org:hezbollah", "ORG"),
        ("IRGC-QF", "org:quds-force", "ORG"),
        ("Qasem Soleimani", "per:qassem-soleimani", "PER"),
        ("Iraq", "loc:iraq", "LOC"),
    ];
    let want: Vec<_> = want.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect();
    assert_eq!(got, want);
    assert!(result.mentions.windows(2).all(|w| w[0].end <= w[1].start), "ordered, non-overlapping");
    let kh = &result.mentions[0];
    assert_eq!(kh.canonical_name, "Kataib Hezbollah");
    assert_eq!(kh.match_kind(), MatchKind::Exact);
    assert_eq!(kh.alias, "Kataib Hezbollah");
    assert!(!response.dictionary_version.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn offsets_in_bytes_chars_and_utf16_point_into_the_original() {
    let app = spawn_app().await;
    // Curly quote, an accented name, an emoji (2 UTF-16 units), Arabic.
    let text = "“Qāsem Soleimānī” 😀 met Kata’ib Hezbollah in بغداد.";
    let response = app.extract(&[("u", text)]).await;
    let mentions = &response.results[0].mentions;
    assert_eq!(mentions.len(), 3, "{mentions:?}");
    for m in mentions {
        let (start, end) = (m.start as usize, m.end as usize);
        assert_eq!(&text[start..end], m.text);
        assert_eq!(text[..start].chars().count(), m.char_start as usize);
        assert_eq!(text[..end].chars().count(), m.char_end as usize);
        assert_eq!(text[..start].encode_utf16().count(), m.utf16_start as usize);
        assert_eq!(text[..end].encode_utf16().count(), m.utf16_end as usize);
    }
    assert_eq!(mentions[0].text, "Qāsem Soleimānī");
    assert_eq!(mentions[0].match_kind(), MatchKind::Normalized);
    assert_eq!(mentions[1].text, "Kata’ib Hezbollah");
    assert_eq!(mentions[2].text, "بغداد");
    assert_eq!(mentions[2].entity_id, "loc:baghdad");
    // The emoji shifts UTF-16 offsets by one more than code points.
    assert_eq!(mentions[1].utf16_start, mentions[1].char_start + 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn results_follow_request_order_across_a_parallel_batch() {
    let app = spawn_app().await;
    let texts: Vec<(String, String)> = (0..300)
        .map(|i| (format!("doc-{i}"), if i % 3 == 0 { "Iran and Iraq".to_owned() } else { format!("nothing {i}") }))
        .collect();
    let borrowed: Vec<(&str, &str)> = texts.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let response = app.extract(&borrowed).await;
    assert_eq!(response.results.len(), 300);
    for (i, result) in response.results.iter().enumerate() {
        assert_eq!(result.id, format!("doc-{i}"));
        assert_eq!(result.mentions.len(), if i % 3 == 0 { 2 } else { 0 }, "doc {i}");
    }
}

/// Duplicate document ids are allowed (proto `Document.id`): results match
/// documents by position, each with its document's id and its own mentions.
#[tokio::test(flavor = "multi_thread")]
async fn documents_sharing_an_id_get_a_result_each_in_order() {
    let app = spawn_app().await;
    let response = app.extract(&[("x", "Iran and Iraq"), ("y", "nothing"), ("x", "Iraq")]).await;
    let got: Vec<(&str, Vec<&str>)> = response
        .results
        .iter()
        .map(|r| (r.id.as_str(), r.mentions.iter().map(|m| m.text.as_str()).collect()))
        .collect();
    assert_eq!(got, [("x", vec!["Iran", "Iraq"]), ("y", vec![]), ("x", vec!["Iraq"])]);
}

#[tokio::test(flavor = "multi_thread")]
async fn empty_batch_and_empty_documents_are_answers_not_errors() {
    let app = spawn_app().await;
    let empty = app.client.clone().extract(pb::ExtractRequest::default()).await.unwrap().into_inner();
    assert!(empty.results.is_empty());
    assert!(!empty.dictionary_version.is_empty());
    let blank = app.extract(&[("a", ""), ("b", "   \n\t"), ("", "Iran")]).await;
    assert_eq!(blank.results.len(), 3);
    assert!(blank.results[0].mentions.is_empty() && blank.results[1].mentions.is_empty());
    assert_eq!(blank.results[2].id, "");
    assert_eq!(blank.results[2].mentions.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn entity_type_option_restricts_without_changing_spans() {
    let app = spawn_app().await;
    let text = "Qassem Soleimani Forces and Qassem Soleimani in Iraq";
    let request = pb::ExtractRequest {
        documents: docs(&[("x", text)]),
        options: Some(pb::ExtractOptions { entity_types: vec!["PER".into()], ..Default::default() }),
    };
    let response = app.client.clone().extract(request).await.unwrap().into_inner();
    let got: Vec<_> = response.results[0].mentions.iter().map(summary).collect();
    // The force is one ORG mention (filtered out), never a PER inside it.
    assert_eq!(got, [("Qassem Soleimani".to_string(), "per:qassem-soleimani".to_string(), "PER".to_string())]);
    assert_eq!(response.results[0].mentions[0].start, 28);
}

#[tokio::test(flavor = "multi_thread")]
async fn short_forms_follow_the_document() {
    let app = spawn_app().await;
    let osama = "Col. Osama Al-Assad commands the battalion. Al-Assad said the crossing was secure.";
    let bashar = "Bashar al-Assad spoke in Damascus. Al-Assad said the war was over.";
    let response = app.extract(&[("osama", osama), ("bashar", bashar)]).await;
    let short =
        |r: &pb::DocumentResult| r.mentions.iter().find(|m| m.text == "Al-Assad").cloned().expect("short form found");
    let in_osama = short(&response.results[0]);
    assert_eq!(in_osama.entity_id, "per:osama-al-assad");
    assert_eq!(in_osama.match_kind(), MatchKind::ShortForm);
    assert_eq!(short(&response.results[1]).entity_id, "per:bashar-al-assad");
}

/// `ExtractOptions.overlaps`: the default keeps the leftmost-longest name
/// alone; OVERLAP_POLICY_ALL returns the names nested in it too, each a
/// whole-word, rule-checked mention, ordered by start, longer first.
#[tokio::test(flavor = "multi_thread")]
async fn overlap_policy_all_returns_nested_names() {
    let app = spawn_app().await;
    let text = "Commanders of the Islamic Revolutionary Guard Corps Quds Force met in Damascus.";
    let with = |overlaps: pb::OverlapPolicy| pb::ExtractRequest {
        documents: docs(&[("q", text)]),
        options: Some(pb::ExtractOptions { overlaps: overlaps as i32, ..Default::default() }),
    };
    let spans = |r: &pb::ExtractResponse| -> Vec<(String, String, u32)> {
        r.results[0].mentions.iter().map(|m| (m.text.clone(), m.entity_id.clone(), m.start)).collect()
    };
    let outer = "Islamic Revolutionary Guard Corps Quds Force";
    let start = text.find(outer).unwrap() as u32;
    let expected_default = vec![
        (outer.to_owned(), "org:quds-force".to_owned(), start),
        ("Damascus".to_owned(), "loc:damascus".to_owned(), text.find("Damascus").unwrap() as u32),
    ];
    for policy in [pb::OverlapPolicy::Unspecified, pb::OverlapPolicy::LeftmostLongest] {
        let response = app.client.clone().extract(with(policy)).await.unwrap().into_inner();
        assert_eq!(spans(&response), expected_default, "{policy:?}");
    }
    let response = app.client.clone().extract(with(pb::OverlapPolicy::All)).await.unwrap().into_inner();
    let got = spans(&response);
    let inner = "Islamic Revolutionary Guard Corps";
    let quds = text.find("Quds Force").unwrap() as u32;
    assert_eq!(got[0], (outer.to_owned(), "org:quds-force".to_owned(), start), "{got:?}");
    assert_eq!(got[1], (inner.to_owned(), "org:irgc".to_owned(), start), "{got:?}");
    assert!(got.contains(&("Quds Force".to_owned(), "org:quds-force".to_owned(), quds)), "{got:?}");
    assert_eq!(got.last().map(|m| m.0.as_str()), Some("Damascus"), "{got:?}");
    let mentions = &response.results[0].mentions;
    for m in mentions {
        assert_eq!(&text[m.start as usize..m.end as usize], m.text);
        assert_eq!(text[..m.start as usize].encode_utf16().count(), m.utf16_start as usize);
    }
    assert!(
        mentions
            .windows(2)
            .all(|w| (w[0].start, std::cmp::Reverse(w[0].end)) <= (w[1].start, std::cmp::Reverse(w[1].end)))
    );

    // A value the server does not know is refused, naming the field.
    let mut unknown = with(pb::OverlapPolicy::All);
    unknown.options.as_mut().unwrap().overlaps = 99;
    let status = app.client.clone().extract(unknown).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(status.message().contains("options.overlaps is 99"), "{}", status.message());
}
