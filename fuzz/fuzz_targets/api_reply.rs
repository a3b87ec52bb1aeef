//! Whatever a server (or something in its place) answers: envelopes, downloads, pages, options.
#![no_main]
use feishu_edge::request::{envelope, options::RequestOptions, page::parse_page};
use feishu_edge::HttpResponse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (status, body) = match data.split_first() {
        Some((s, b)) => (100 + u16::from(*s) * 2, b),
        None => (200, data),
    };
    let resp = HttpResponse { stream: None, status, headers: vec![("x-ogw-ratelimit-reset".into(), String::from_utf8_lossy(body.get(..4).unwrap_or(b"")).into())], body: body.to_vec() };
    let _ = envelope::check(resp.clone());
    let _ = envelope::check_binary(resp);
    let _ = parse_page(body, None);
    let _ = parse_page(body, Some("items"));
    if let Ok(text) = std::str::from_utf8(body) {
        if let Ok(opts) = RequestOptions::parse(text) {
            if let Ok(req) = opts.into_request() {
                let _ = req.url("https://h/open-apis/");
            }
        }
    }
});
