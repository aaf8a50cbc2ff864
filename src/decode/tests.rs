use super::*;

#[test]
fn json_shapes_are_told_apart() {
    let dump = r##"{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing"}},"EventID":4688,"Computer":"FS03","TimeCreated":{"#attributes":{"SystemTime":"2021-12-19T14:51:04.0203255Z"}},"EventRecordID":7},"EventData":{"CommandLine":"wmic  x","NewProcessId":"0x12c"}}}"##;
    let RawEvent::Win(w) = decode_text(dump.as_bytes(), Format::Auto).unwrap() else {
        panic!("expected a Windows event")
    };
    assert_eq!(
        (w.event_id, w.computer.as_str(), w.record_id),
        (4688, "FS03", Some(7))
    );
    assert_eq!(w.get("CommandLine"), Some("wmic  x"));

    let flat = r#"{"EventID":1,"SourceName":"Microsoft-Windows-Sysmon","Hostname":"WS5","Image":"C:\\x\\WMIC.exe","UserID":"S-1-5-18","Message":"long"}"#;
    let RawEvent::Win(w) = decode_text(flat.as_bytes(), Format::Auto).unwrap() else {
        panic!("expected a Windows event")
    };
    assert_eq!(w.computer, "WS5");
    assert_eq!(w.get("Image"), Some("C:\\x\\WMIC.exe"));
    assert_eq!(
        w.get("Message"),
        None,
        "NXLog's rendered message is not EventData"
    );

    let ecs = r#"{"@timestamp":"2024-01-01T00:00:00Z","process":{"name":"x"}}"#;
    assert!(matches!(
        decode_text(ecs.as_bytes(), Format::Auto).unwrap(),
        RawEvent::Ecs(_)
    ));
    assert!(decode_text(b"{\"a\":", Format::Auto).is_err());
}

/// The check says what the decoder says, for good records and for broken and hostile ones
/// (the error counts of the prefilter and reference paths rest on it).
#[test]
fn check_agrees_with_the_decoder() {
    let deep_xml = format!("<Event>{}{}</Event>", "<a>".repeat(40), "</a>".repeat(40));
    let ok_xml = format!("<Event>{}{}</Event>", "<a>".repeat(31), "</a>".repeat(31));
    let deep_json = format!("{{\"a\":{}1{}}}", "[".repeat(300), "]".repeat(300));
    let records: Vec<&[u8]> = vec![
        b"{\"a\":[1,{\"b\":\"}{[\\\"\"}]}",
        b"<Event><System a='>' b=\"/>\"/><!-- <!DOCTYPE --><![CDATA[<a><b>]]></System></Event>",
        b"\xEF\xBB\xBF<?xml version='1.0'?><Event/>",
        ok_xml.as_bytes(),
        b"{\"a\":\"\\u0041\", \"n\": 1e3}",
        b"{\"Event\":{\"System\":{}}}",
        b"\xff",
        b"{\"a\":\"\0\"}",
        b"{\"a\":",
        b"{\"a\":}",
        b"{not json}",
        b"{\"a\":1e400}",
        b"[1,2]",
        deep_json.as_bytes(),
        deep_xml.as_bytes(),
        b"<Event><!DOCTYPE x [<!ENTITY e \"a\">]></Event>",
        b"<Event><System></Event>",
        b"<Event><System><Computer>caf\xe9</Computer></System></Event>",
        b"{\"a\":\"caf\xe9\"}",
        b"   ",
    ];
    for r in records {
        for f in [Format::Auto, Format::Ecs, Format::Xml, Format::Winjson] {
            assert_eq!(
                check(r, f),
                decode_text(r, f).map(drop),
                "{f:?} {}",
                String::from_utf8_lossy(r)
            );
        }
    }
}

/// A Latin-1 byte in an XML event costs the byte, not the event; JSON stays strict.
#[test]
fn xml_that_is_not_utf8_is_decoded_lossily() {
    let x = b"<Event><System><Computer>caf\xe9</Computer></System></Event>";
    assert!(is_lossy(x, Format::Auto));
    let RawEvent::Win(w) = decode_text(x, Format::Auto).unwrap() else {
        panic!("a Windows event")
    };
    assert_eq!(w.computer, "caf\u{fffd}");
    assert!(!is_lossy(b"<Event/>", Format::Auto));
    assert!(!is_lossy(b"{\"a\":\"caf\xe9\"}", Format::Auto));
    assert!(
        decode_text(b"{\"a\":\"caf\xe9\"}", Format::Auto)
            .unwrap_err()
            .contains("UTF-8")
    );
}
