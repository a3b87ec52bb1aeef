#![cfg(not(target_arch = "wasm32"))]
//! The task-level helpers' table, run by the generic caller against a scripted transport; and
//! the JS package's copy of the table (`pkg-template/generated/helpers-data.js`), generated
//! here: `FEISHU_REGEN=1 cargo test --test helpers` rewrites it, a stale copy fails.

use feishu_edge::api::helpers::{find_helper, Kind, HELPERS};
use feishu_edge::{
    Body, BoxFuture, Client, Config, HttpRequest, HttpResponse, Transport, TransportError,
};
use futures_executor::block_on;
mod support;
use std::sync::Arc;
#[allow(unused_imports)]
use support::{Locked, Slot};

const JS_DATA: &str = "pkg-template/generated/helpers-data.js";

/// The JS runner's view of each row: what it cannot leave to the core (how to page, which
/// field of `data` to return).
fn js_data() -> String {
    let mut out = String::from(
        "// Generated from src/api/helpers/table.rs by tests/helpers.rs (`FEISHU_REGEN=1 cargo test --test helpers`): do not edit.\n\
         // namespace → helper → { kind?: 'pages' | 'download' | 'upload', options?: index of the options\n\
         // argument, itemsKey?, file?: [index of the bytes, multipart field, index of the file name?],\n\
         // result?: the field path in `data`, orEmpty?: `?? []` }. The core builds each call\n\
         // from the same row (`{ endpoint: 'ns.name', helperArgs }`).\n\
         export const HELPER_ROWS = {\n",
    );
    let mut namespaces: Vec<&str> = Vec::new();
    for h in HELPERS {
        let ns = h.name.split('.').next().unwrap_or_default();
        if !namespaces.contains(&ns) {
            namespaces.push(ns);
        }
    }
    for ns in namespaces {
        out.push_str(&format!("  {ns}: {{\n"));
        for h in HELPERS
            .iter()
            .filter(|h| h.name.split('.').next() == Some(ns))
        {
            let name = h.name.split('.').nth(1).unwrap_or_default();
            let mut fields = Vec::new();
            match h.kind {
                Kind::Json => {}
                Kind::Pages => {
                    fields.push("kind: 'pages'".to_string());
                    fields.push(format!("options: {}", h.args.len()));
                }
                Kind::Download => fields.push("kind: 'download'".to_string()),
                Kind::Upload => fields.push("kind: 'upload'".to_string()),
            }
            if let Some(file) = h.file {
                let at = |name: &str| h.args.iter().position(|p| p.name == name);
                let mut spec = vec![
                    at(file.arg).map(|i| i.to_string()).unwrap_or_default(),
                    format!("'{}'", file.field),
                ];
                if let Some(i) = file.filename.and_then(at) {
                    spec.push(i.to_string());
                }
                fields.push(format!("file: [{}]", spec.join(", ")));
            }
            if let Some(key) = h.items_key {
                fields.push(format!("itemsKey: '{key}'"));
            }
            if !h.result.is_empty() {
                let steps: Vec<String> = h
                    .result
                    .iter()
                    .map(|s| match s.parse::<usize>() {
                        Ok(i) => i.to_string(),
                        Err(_) => format!("'{s}'"),
                    })
                    .collect();
                fields.push(format!("result: [{}]", steps.join(", ")));
            }
            if h.or_empty {
                fields.push("orEmpty: true".to_string());
            }
            out.push_str(
                &format!("    {name}: {{ {} }},\n", fields.join(", ")).replace("{  }", "{}"),
            );
        }
        out.push_str("  },\n");
    }
    out.push_str("};\n");
    out
}

#[test]
fn the_js_table_is_generated_from_the_rust_one() {
    let root = env!("CARGO_MANIFEST_DIR");
    let path = format!("{root}/{JS_DATA}");
    let want = js_data();
    if std::env::var_os("FEISHU_REGEN").is_some() {
        std::fs::create_dir_all(format!("{root}/pkg-template/generated")).unwrap();
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{JS_DATA} is stale: run `FEISHU_REGEN=1 cargo test --test helpers`"
    );
}

/// Records every API request; answers a token call, or `reply(request)`.
struct Scripted {
    seen: Locked<Vec<HttpRequest>>,
    reply: Box<dyn Fn(&HttpRequest) -> HttpResponse + Send + Sync>,
}

fn json(body: &str) -> HttpResponse {
    HttpResponse {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.as_bytes().to_vec(),
        stream: None,
    }
}

impl Transport for Scripted {
    fn send(&self, req: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(async move {
            if req.url.contains("/auth/v3/") {
                return Ok(json(
                    r#"{"code":0,"msg":"ok","tenant_access_token":"t-1","expire":7200}"#,
                ));
            }
            let reply = (self.reply)(&req);
            self.seen.borrow_mut().push(req);
            Ok(reply)
        })
    }
}

fn client(
    reply: impl Fn(&HttpRequest) -> HttpResponse + Send + Sync + 'static,
) -> (Client, Arc<Scripted>) {
    let t = Arc::new(Scripted {
        seen: Locked::default(),
        reply: Box::new(reply),
    });
    let config = Config::new("cli_test", "secret")
        .base_url("http://emu.test")
        .unwrap();
    let client = Client::builder(config)
        .transport(t.clone())
        .build()
        .unwrap();
    (client, t)
}

fn body_of(req: &HttpRequest) -> String {
    match &req.body {
        Body::Json(b) => b.to_string(),
        _ => String::new(),
    }
}

#[test]
fn every_row_names_a_catalog_method_and_binds_its_path() {
    for h in HELPERS {
        assert!(h.name.split('.').count() == 2, "{}", h.name);
        if !h.endpoint.name.starts_with("sheets.v2.") {
            assert_eq!(
                feishu_edge::api::find(h.endpoint.name),
                Some(h.endpoint),
                "{}",
                h.name
            );
        }
        // The schema does not mark the calendar's event list as paged; it is.
        let pages = h.endpoint.paginated || h.name == "calendar.listEvents";
        assert_eq!(
            h.kind == Kind::Pages,
            pages,
            "{}: pages iff the method pages",
            h.name
        );
        // Every path parameter comes from the row.
        for p in h.endpoint.path_params() {
            assert!(
                h.path.iter().any(|(k, _)| *k == p),
                "{}: {p} unbound",
                h.name
            );
        }
        // Uploads, and only they, name their file among their arguments.
        let multipart = h.endpoint.body == feishu_edge::api::BodyKind::Multipart;
        assert_eq!(h.kind == Kind::Upload, multipart, "{}", h.name);
        assert_eq!(h.file.is_some(), multipart, "{}", h.name);
        if let Some(file) = h.file {
            assert!(h.args.iter().any(|p| p.name == file.arg), "{}", h.name);
        }
        // Arguments and options have distinct names.
        let mut names: Vec<&str> = h
            .args
            .iter()
            .chain(h.options.unwrap_or(&[]))
            .map(|p| p.name)
            .collect();
        names.sort_unstable();
        assert!(names.windows(2).all(|w| w[0] != w[1]), "{}", h.name);
    }
}

#[test]
fn helpers_send_the_request_and_read_their_field() {
    let (client, t) = client(|req| {
        json(if req.url.contains("/users/") {
            r#"{"code":0,"msg":"ok","data":{"user":{"name":"Ann"}}}"#
        } else if req.url.contains("primary") {
            r#"{"code":0,"msg":"ok","data":{"calendars":[{"calendar":{"calendar_id":"cal_1"}}]}}"#
        } else {
            r#"{"code":0,"msg":"ok","data":{}}"#
        })
    });
    let user = block_on(client.helper("contact.getUser", r#"["on_7"]"#)).unwrap();
    assert_eq!(user, r#"{"name":"Ann"}"#);
    let user =
        block_on(client.helper("contact.getUser", r#"["42", {"userIdType": "open_id"}]"#)).unwrap();
    assert_eq!(user, r#"{"name":"Ann"}"#);
    let cal = block_on(client.helper("calendar.primaryCalendar", "[]")).unwrap();
    assert_eq!(cal, r#"{"calendar_id":"cal_1"}"#);
    // `?? []` when the list is absent; the whole `data` when the row names no field.
    assert_eq!(
        block_on(client.helper("board.listNodes", r#"["wb1"]"#)).unwrap(),
        "[]"
    );
    assert_eq!(
        block_on(client.helper("task.deleteTask", r#"["tg1"]"#)).unwrap(),
        "{}"
    );
    block_on(client.helper(
        "task.updateTask",
        r#"["tg1", {"summary": "x", "due": null}]"#,
    ))
    .unwrap();
    block_on(client.helper(
        "bitable.batchCreateRecords",
        r#"["app1", "tbl1", [{"Name": "x"}, {"fields": {"Name": "y"}}]]"#,
    ))
    .unwrap();
    block_on(client.helper(
        "approval.createInstance",
        r#"[{"approvalCode": "ap1", "form": [{"id": "f"}]}]"#,
    ))
    .unwrap();
    block_on(client.helper(
        "sheets.appendValues",
        r#"["sht1", "a!A1", [[1]], {"insertDataOption": "INSERT_ROWS"}]"#,
    ))
    .unwrap();
    block_on(client.helper("contact.batchGetUsers", r#"[["ou_1", "ou_2"]]"#)).unwrap();

    let seen = t.seen.borrow();
    let sent: Vec<(String, String)> = seen
        .iter()
        .map(|r| {
            (
                format!(
                    "{} {}",
                    r.method.as_str(),
                    r.url.trim_start_matches("http://emu.test/open-apis/")
                ),
                body_of(r),
            )
        })
        .collect();
    let want = [
        ("GET contact/v3/users/on_7?user_id_type=union_id", ""),
        ("GET contact/v3/users/42?user_id_type=open_id", ""),
        ("POST calendar/v4/calendars/primary", ""),
        ("GET board/v1/whiteboards/wb1/nodes", ""),
        ("DELETE task/v2/tasks/tg1", ""),
        (
            "PATCH task/v2/tasks/tg1",
            r#"{"task":{"summary": "x", "due": null},"update_fields":["summary","due"]}"#,
        ),
        (
            "POST bitable/v1/apps/app1/tables/tbl1/records/batch_create",
            r#"{"records":[{"fields":{"Name": "x"}},{"fields": {"Name": "y"}}]}"#,
        ),
        (
            "POST approval/v4/instances",
            r#"{"approval_code":"ap1","form":"[{\"id\": \"f\"}]"}"#,
        ),
        (
            "POST sheets/v2/spreadsheets/sht1/values_append?insertDataOption=INSERT_ROWS",
            r#"{"valueRange":{"range":"a!A1","values":[[1]]}}"#,
        ),
        (
            "GET contact/v3/users/batch?user_ids=ou_1&user_ids=ou_2&user_id_type=open_id",
            "",
        ),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(sent, want);
}

#[test]
fn paging_helpers_walk_pages_with_their_defaults() {
    let (client, t) = client(|req| {
        json(if req.url.contains("page_token=p2") {
            r#"{"code":0,"msg":"ok","data":{"has_more":false,"files":[{"token":"c"}]}}"#
        } else {
            r#"{"code":0,"msg":"ok","data":{"has_more":true,"page_token":"p2","files":[{"token":"a"},{"token":"b"}]}}"#
        })
    });
    let mut pages = client
        .helper_pages("drive.listFolder", r#"["fld"]"#)
        .unwrap();
    let mut items = Vec::new();
    while let Some(page) = block_on(pages.next_page()).unwrap() {
        items.extend(page);
    }
    assert_eq!(
        items,
        [r#"{"token":"a"}"#, r#"{"token":"b"}"#, r#"{"token":"c"}"#]
    );
    let mut limited = client
        .helper_pages(
            "drive.listFolder",
            r#"["fld", {"pageSize": 2, "maxItems": 1}]"#,
        )
        .unwrap();
    assert_eq!(
        block_on(limited.next_page()).unwrap().map(|p| p.len()),
        Some(1)
    );
    let urls: Vec<String> = t.seen.borrow().iter().map(|r| r.url.clone()).collect();
    assert_eq!(
        urls,
        [
            "http://emu.test/open-apis/drive/v1/files?folder_token=fld&page_size=50",
            "http://emu.test/open-apis/drive/v1/files?folder_token=fld&page_size=50&page_token=p2",
            "http://emu.test/open-apis/drive/v1/files?folder_token=fld&page_size=2",
        ]
    );
    // Other options of listRecords are query parameters, before page_size.
    let p = find_helper("bitable.listRecords")
        .unwrap()
        .prepare(r#"["app", "tbl", {"view_id": "v1", "maxItems": 5}]"#)
        .unwrap();
    assert_eq!(
        p.request.url("http://h/").unwrap(),
        "http://h/bitable/v1/apps/app/tables/tbl/records?view_id=v1&page_size=100"
    );
    assert_eq!(p.page.max_items, Some(5));
    // A search is a POST that may be retried.
    let p = find_helper("bitable.searchRecords")
        .unwrap()
        .prepare(r#"["app", "tbl"]"#)
        .unwrap();
    assert_eq!(p.request.idempotent, Some(true));
}

#[test]
fn uploads_send_text_fields_then_the_file() {
    let (client, t) = client(|_| {
        json(r#"{"code":0,"msg":"ok","data":{"file_key":"file_1","image_key":"img_1"}}"#)
    });
    let key = block_on(client.helper_upload(
        "im.uploadFile",
        r#"[null, "report.pdf", {"fileType": "pdf", "duration": 10}]"#,
        vec![1u8, 2, 3],
    ))
    .unwrap();
    assert_eq!(key, r#""file_1""#);
    let key = block_on(client.helper_upload("im.uploadImage", "[null]", vec![9u8])).unwrap();
    assert_eq!(key, r#""img_1""#);
    let seen = t.seen.borrow();
    let parts = |r: &HttpRequest| -> Vec<String> {
        match &r.body {
            Body::Multipart(parts) => parts
                .iter()
                .map(|p| match p {
                    feishu_edge::Part::Text { name, value } => format!("{name}={value}"),
                    feishu_edge::Part::File {
                        name,
                        filename,
                        data,
                        ..
                    } => match data {
                        feishu_edge::FileData::Bytes(b) => format!("{name}:{filename}:{}", b.len()),
                    },
                })
                .collect(),
            other => panic!("not multipart: {other:?}"),
        }
    };
    assert_eq!(seen[0].url, "http://emu.test/open-apis/im/v1/files");
    assert_eq!(
        parts(&seen[0]),
        [
            "file_type=pdf",
            "file_name=report.pdf",
            "duration=10",
            "file:report.pdf:3"
        ]
    );
    assert_eq!(parts(&seen[1]), ["image_type=message", "image:image:1"]);
    drop(seen);
    let invalid = block_on(client.helper_upload("contact.getUser", r#"["ou_1"]"#, vec![]));
    assert!(matches!(
        invalid,
        Err(feishu_edge::Error::InvalidRequest(_))
    ));
}

#[test]
fn downloads_and_wrong_uses_are_typed() {
    let (client, t) = client(|_| HttpResponse {
        status: 200,
        headers: vec![("content-type".into(), "image/png".into())],
        body: b"PNG".to_vec(),
        stream: None,
    });
    let file =
        block_on(client.helper_download("im.downloadResource", r#"["om_1", "fk"]"#)).unwrap();
    assert_eq!(file.bytes, b"PNG");
    assert_eq!(
        t.seen.borrow()[0].url,
        "http://emu.test/open-apis/im/v1/messages/om_1/resources/fk?type=file"
    );
    let invalid =
        |r: feishu_edge::Result<String>| matches!(r, Err(feishu_edge::Error::InvalidRequest(_)));
    assert!(invalid(block_on(client.helper("no.such", "[]"))));
    assert!(
        invalid(block_on(client.helper("drive.listFolder", r#"["f"]"#))),
        "a paging helper"
    );
    assert!(
        invalid(block_on(
            client.helper("contact.getUser", r#"{"userId": 1}"#)
        )),
        "not an array"
    );
    assert!(
        invalid(block_on(client.helper("contact.getUser", r#"["ou_1", 7]"#))),
        "options not an object"
    );
    assert!(
        invalid(block_on(client.helper("contact.getUser", "[]"))),
        "a path parameter is missing"
    );
    assert_eq!(t.seen.borrow().len(), 1, "refused before sending");
}
