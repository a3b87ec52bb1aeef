//! The generic caller of the task-level helpers: a [`Helper`] (one row of [`HELPERS`]) says which
//! catalog endpoint it calls, how its arguments map into the path, the query and the body (with
//! the defaults), whether it pages, and which field of `data` it returns. [`Helper::prepare`]
//! turns the row and the arguments (a JSON array, as the JS helpers take them) into the request;
//! [`Client::helper`](crate::Client::helper) runs it. The JS package's helpers are this same table run by this same
//! code: `client.contact.getUser('ou_1')` sends `{ endpoint: 'contact.getUser', helperArgs:
//! ['ou_1'] }` as a catalog call ([`crate::api::call::request_options`]).
//!
//! ```
//! use feishu_edge::api::helpers::find_helper;
//! let prepared = find_helper("contact.getUser").unwrap().prepare(r#"["ou_1"]"#).unwrap();
//! assert_eq!(
//!     prepared.request.url("https://h/open-apis/").unwrap(),
//!     "https://h/open-apis/contact/v3/users/ou_1?user_id_type=open_id"
//! );
//! let body = br#"{"code":0,"data":{"user":{"name":"Ann"}}}"#;
//! assert_eq!(prepared.result(body).unwrap(), r#"{"name":"Ann"}"#);
//! ```

use super::table::HELPERS;
use crate::api::Endpoint;
use crate::error::{Error, Result};
use crate::json::{quote, raw_items, ObjectWriter, RawFields};
use crate::request::{ApiRequest, PageOptions};

/// Where a value of the request comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// No value (an argument or option without a default).
    Absent,
    /// The argument or option of this name; when it is absent (or `null`) the field is left out.
    Arg(&'static str),
    /// A constant, as JSON text.
    Const(&'static str),
    /// An object of these fields (`"..."` splices an object value in: [`Value::Rest`]).
    Object(&'static [(&'static str, Value)]),
    /// The options object's members the helper does not name (`{ pageSize, ...params }`).
    Rest,
    /// A value computed from the named argument.
    Derived(Derive, &'static str),
}

/// The computations a helper may apply to an argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derive {
    /// A user id's `user_id_type`: `open_id` for `ou_…`, `union_id` for `on_…`, else `user_id`.
    UserIdType,
    /// An object's keys, as an array of strings.
    Keys,
    /// A string as itself, anything else as its JSON text (a form given as an object).
    JsonText,
    /// Each item wrapped as `{ fields: item }` unless it already has `fields` (bitable records).
    RecordFields,
}

/// What a helper's call answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The envelope: the helper returns a field of its `data`.
    Json,
    /// Pages: the helper yields the items ([`Client::helper_pages`](crate::Client::helper_pages)).
    Pages,
    /// Bytes ([`Client::helper_download`](crate::Client::helper_download)).
    Download,
    /// A multipart upload of one file ([`Client::helper_upload`](crate::Client::helper_upload)):
    /// the body's fields are the text parts; the file's bytes are not among the JSON arguments
    /// (`null` in their place).
    Upload,
}

/// The file of an [`Kind::Upload`] helper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileArg {
    /// The positional argument that holds the bytes.
    pub arg: &'static str,
    /// The multipart field the file goes in.
    pub field: &'static str,
    /// The argument naming the file, if one does (else the field's name is the file name).
    pub filename: Option<&'static str>,
}

/// A positional argument or an option: its name and its default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    /// The name (the JS parameter's name: `userId`, `pageSize`).
    pub name: &'static str,
    /// Used when the caller gives nothing (or `null`).
    pub default: Value,
}

/// One task-level helper: `client.<namespace>.<name>(...args)` in JS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Helper {
    /// `namespace.name`, as on the JS client (`contact.getUser`).
    pub name: &'static str,
    /// The method it calls.
    pub endpoint: &'static Endpoint,
    /// What the call answers with.
    pub kind: Kind,
    /// The positional arguments, in order.
    pub args: &'static [Param],
    /// When `Some`, one more argument follows the positional ones: an options object with these
    /// members.
    pub options: Option<&'static [Param]>,
    /// The path parameters.
    pub path: &'static [(&'static str, Value)],
    /// The query (an [`Value::Object`], or [`Value::Absent`]).
    pub query: Value,
    /// The JSON body ([`Value::Absent`] for none).
    pub body: Value,
    /// Whether a POST may be retried (a search).
    pub idempotent: bool,
    /// The file of an upload.
    pub file: Option<FileArg>,
    /// The field of `data` holding a page's items (pages only; default: `items`).
    pub items_key: Option<&'static str>,
    /// The field path in `data` the helper returns (empty: `data` itself); an all-digit step
    /// indexes an array.
    pub result: &'static [&'static str],
    /// An absent result is an empty array (`?? []`).
    pub or_empty: bool,
}

/// The bare row [`HELPERS`] entries start from (`..BASE`): no arguments, no query, no body.
pub(crate) const BASE: Helper = Helper {
    name: "",
    endpoint: &crate::api::generated::IM_V1_MESSAGE_CREATE,
    kind: Kind::Json,
    args: &[],
    options: None,
    path: &[],
    query: Value::Absent,
    body: Value::Absent,
    idempotent: false,
    file: None,
    items_key: None,
    result: &[],
    or_empty: false,
};

/// A helper's call, ready to send: the request, how to page it, and how to read the result.
#[derive(Debug)]
pub struct Prepared {
    /// The helper.
    pub helper: &'static Helper,
    /// The request (tenant token; a user's with [`Client::as_user`](crate::Client::as_user)).
    pub request: ApiRequest,
    /// The paging options (items key, `maxItems`) when the helper pages.
    pub page: PageOptions,
    /// An upload's text fields, in order.
    pub fields: Vec<(String, String)>,
    /// An upload's file: its field and its file name.
    pub file: Option<(String, String)>,
}

/// Looks a helper up by its `namespace.name`.
///
/// ```
/// let h = feishu_edge::api::helpers::find_helper("drive.listFolder").unwrap();
/// assert_eq!(h.endpoint.name, "drive.v1.file.list");
/// assert!(feishu_edge::api::helpers::find_helper("drive.nothing").is_none());
/// ```
pub fn find_helper(name: &str) -> Option<&'static Helper> {
    HELPERS.iter().find(|h| h.name == name)
}

/// The named values of one call: arguments and options, as JSON text.
struct Bound<'a> {
    values: Vec<(&'static str, String)>,
    rest: Vec<(String, &'a str)>,
    name: &'static str,
}

impl Bound<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    fn eval(&self, value: &Value) -> Result<Option<String>> {
        Ok(match value {
            Value::Absent => None,
            Value::Arg(name) => self.get(name).map(str::to_string),
            Value::Const(raw) => Some((*raw).to_string()),
            Value::Rest => {
                let mut out = ObjectWriter::default();
                for (k, v) in &self.rest {
                    out.field(k, v);
                }
                Some(out.finish())
            }
            Value::Object(fields) => {
                let mut out = ObjectWriter::default();
                for (key, value) in fields.iter() {
                    let Some(raw) = self.eval(value)? else {
                        continue;
                    };
                    if *key == "..." {
                        if let Some(spliced) = RawFields::parse(&raw) {
                            out.fields(&spliced, &[]);
                        }
                    } else {
                        out.field(key, &raw);
                    }
                }
                Some(out.finish())
            }
            Value::Derived(derive, name) => match self.get(name) {
                Some(raw) => Some(self.derive(*derive, name, raw)?),
                None => None,
            },
        })
    }

    fn derive(&self, derive: Derive, arg: &str, raw: &str) -> Result<String> {
        let refuse =
            |what: &str| Error::InvalidRequest(format!("{}: `{arg}` must be {what}", self.name));
        Ok(match derive {
            Derive::UserIdType => {
                let id = crate::json::unquote(raw).ok_or_else(|| refuse("a string"))?;
                quote(match super::receive_id_type(&id) {
                    kind @ ("open_id" | "union_id") => kind,
                    _ => "user_id",
                })
            }
            Derive::Keys => {
                let fields = RawFields::parse(raw).ok_or_else(|| refuse("an object"))?;
                let keys: Vec<&str> = fields.0.iter().map(|(k, _)| k.as_ref()).collect();
                crate::json::string_array(&keys)
            }
            Derive::JsonText => match raw.trim_start().starts_with('"') {
                true => raw.to_string(),
                false => quote(raw),
            },
            Derive::RecordFields => {
                let items = raw_items(raw).ok_or_else(|| refuse("an array"))?;
                let mut out = String::from("[");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let has_fields = RawFields::parse(item)
                        .and_then(|f| f.get("fields").map(|v| v != "null"))
                        .unwrap_or(false);
                    if has_fields {
                        out.push_str(item);
                    } else {
                        out.push_str(r#"{"fields":"#);
                        out.push_str(item);
                        out.push('}');
                    }
                }
                out.push(']');
                out
            }
        })
    }
}

/// `raw` unless it is JSON `null`.
fn given(raw: Option<&str>) -> Option<&str> {
    raw.filter(|r| r.trim() != "null")
}

impl Helper {
    /// Binds `args_json` (a JSON array: the positional arguments, then the options object when
    /// the helper takes one) to the row, defaults included.
    fn bind<'a>(&'static self, args_json: &'a str) -> Result<Bound<'a>> {
        let refuse = |what: String| Error::InvalidRequest(format!("{}: {what}", self.name));
        let items = match args_json.trim() {
            "" => Vec::new(),
            text => raw_items(text)
                .ok_or_else(|| refuse("the arguments must be a JSON array".into()))?,
        };
        let mut bound = Bound {
            values: Vec::new(),
            rest: Vec::new(),
            name: self.name,
        };
        for (i, param) in self.args.iter().enumerate() {
            let value = match given(items.get(i).copied()) {
                Some(raw) => Some(raw.to_string()),
                None => bound.eval(&param.default)?,
            };
            if let Some(value) = value {
                bound.values.push((param.name, value));
            }
        }
        if let Some(options) = self.options {
            let given_options = match given(items.get(self.args.len()).copied()) {
                Some(raw) => RawFields::parse(raw)
                    .ok_or_else(|| refuse("the options must be an object".into()))?,
                None => RawFields::default(),
            };
            for param in options.iter() {
                let value = match given(given_options.get(param.name)) {
                    Some(raw) => Some(raw.to_string()),
                    None => bound.eval(&param.default)?,
                };
                if let Some(value) = value {
                    bound.values.push((param.name, value));
                }
            }
            for (key, raw) in &given_options.0 {
                let named = options.iter().any(|p| p.name == key.as_ref());
                if let (false, Some(raw)) = (named, given(Some(raw))) {
                    bound.rest.push((key.to_string(), raw));
                }
            }
        }
        Ok(bound)
    }

    /// The catalog payload (`{ path, params, data }`) of a call with `args_json`, and an
    /// upload's text fields (its body, which then is not the payload's `data`).
    pub(crate) fn payload(&'static self, args_json: &str) -> Result<(String, Option<String>)> {
        let bound = self.bind(args_json)?;
        let mut payload = ObjectWriter::default();
        let path = bound.eval(&Value::Object(self.path))?.unwrap_or_default();
        payload.field("path", &path);
        if let Some(query) = bound.eval(&self.query)? {
            payload.field("params", &query);
        }
        let body = bound.eval(&self.body)?;
        if self.kind == Kind::Upload {
            return Ok((payload.finish(), body));
        }
        if let Some(body) = body {
            payload.field("data", &body);
        }
        Ok((payload.finish(), None))
    }

    /// The request, paging and result reading of a call with `args_json` (a JSON array:
    /// positional arguments, then the options object), as the JS helper takes them.
    ///
    /// ```
    /// use feishu_edge::api::helpers::find_helper;
    /// let p = find_helper("contact.departmentChildren").unwrap().prepare(r#"["0", {"maxItems": 3}]"#).unwrap();
    /// assert_eq!(p.request.url("https://h/open-apis/").unwrap(), "https://h/open-apis/contact/v3/departments/0/children?fetch_child=false&page_size=50");
    /// assert_eq!(p.page.max_items, Some(3));
    /// ```
    pub fn prepare(&'static self, args_json: &str) -> Result<Prepared> {
        let call = format!(
            r#"{{"endpoint":{},"helperArgs":{}}}"#,
            quote(self.name),
            match args_json.trim() {
                "" => "[]",
                text => text,
            }
        );
        let options = crate::api::call::request_options(&call)?
            .ok_or_else(|| Error::InvalidRequest(format!("{}: not a helper call", self.name)))?;
        let options = crate::request::options::RequestOptions::parse(&options)?;
        let fields = options.text_fields()?;
        let request = options.into_request()?;
        let mut page = PageOptions {
            items_key: self.items_key.map(str::to_string),
            ..PageOptions::default()
        };
        let bound = self.bind(args_json)?;
        if self.kind == Kind::Pages {
            page.max_items = bound.get("maxItems").and_then(|n| n.trim().parse().ok());
        }
        let file = self.file.map(|f| {
            let name = f
                .filename
                .and_then(|arg| bound.get(arg))
                .and_then(crate::json::unquote)
                .unwrap_or_else(|| f.field.to_string());
            (f.field.to_string(), name)
        });
        Ok(Prepared {
            helper: self,
            request,
            page,
            fields,
            file,
        })
    }
}

impl Prepared {
    /// The helper's result from a reply's envelope (JSON body): the field of `data` the helper
    /// returns, as JSON text (`null` when absent, `[]` for a list helper).
    pub fn result(&self, envelope: &[u8]) -> Result<String> {
        let text = std::str::from_utf8(envelope)
            .map_err(|_| Error::InvalidRequest("the reply is not UTF-8".into()))?;
        let mut current = RawFields::parse(text)
            .and_then(|e| e.get("data"))
            .unwrap_or("null");
        for step in self.helper.result {
            let next = match step.parse::<usize>() {
                Ok(i) => raw_items(current).and_then(|items| items.get(i).copied()),
                Err(_) => RawFields::parse(current).and_then(|f| f.get(step)),
            };
            current = next.unwrap_or("null");
        }
        Ok(match (current.trim(), self.helper.or_empty) {
            ("null", true) => "[]".to_string(),
            (value, _) => value.to_string(),
        })
    }
}

fn kind_error(helper: &Helper, wanted: &str) -> Error {
    Error::InvalidRequest(format!(
        "{} is a {:?} helper: call it with {wanted}",
        helper.name, helper.kind
    ))
}

fn lookup(name: &str) -> Result<&'static Helper> {
    find_helper(name).ok_or_else(|| Error::InvalidRequest(format!("no helper named {name}")))
}

/// A [`Kind::Json`] helper's prepared call: the row looked up, its kind checked, the request
/// built (the async driver sends it and reads the reply with [`Prepared::result`]).
pub(crate) fn prepare_json(name: &str, args_json: &str) -> Result<Prepared> {
    let helper = lookup(name)?;
    if helper.kind != Kind::Json {
        return Err(kind_error(helper, "helper_pages or helper_download"));
    }
    helper.prepare(args_json)
}

/// A [`Kind::Download`] helper's request.
pub(crate) fn prepare_download(name: &str, args_json: &str) -> Result<ApiRequest> {
    let helper = lookup(name)?;
    if helper.kind != Kind::Download {
        return Err(kind_error(helper, "helper"));
    }
    Ok(helper.prepare(args_json)?.request)
}

/// A [`Kind::Upload`] helper's prepared call, its request carrying the multipart form: the
/// body's fields as text parts, then the file's bytes.
pub(crate) fn prepare_upload(
    name: &str,
    args_json: &str,
    bytes: std::sync::Arc<[u8]>,
) -> Result<Prepared> {
    use crate::transport::{FileData, Part};
    let helper = lookup(name)?;
    let (Kind::Upload, Some(_)) = (helper.kind, helper.file) else {
        return Err(kind_error(helper, "helper"));
    };
    let mut prepared = helper.prepare(args_json)?;
    let mut parts: Vec<Part> = prepared
        .fields
        .iter()
        .map(|(name, value)| Part::Text {
            name: name.clone(),
            value: value.clone(),
        })
        .collect();
    if let Some((field, filename)) = &prepared.file {
        parts.push(Part::File {
            name: field.clone(),
            filename: filename.clone(),
            content_type: None,
            data: FileData::Bytes(bytes),
        });
    }
    prepared.request = prepared.request.clone().multipart(parts);
    Ok(prepared)
}

impl crate::Client {
    /// A paging helper's items, page by page (`drive.listFolder`, `bitable.listRecords`…).
    ///
    /// ```no_run
    /// # async fn demo(client: feishu_edge::Client) -> feishu_edge::Result<()> {
    /// let mut pages = client.helper_pages("drive.listFolder", r#"["fld_1", {"maxItems": 100}]"#)?;
    /// while let Some(items) = pages.next_page().await? {
    ///     println!("{} files", items.len());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn helper_pages(&self, name: &str, args_json: &str) -> Result<crate::Paginator> {
        let helper = lookup(name)?;
        if helper.kind != Kind::Pages {
            return Err(kind_error(helper, "helper"));
        }
        let prepared = helper.prepare(args_json)?;
        Ok(self.paginate(prepared.request, prepared.page))
    }
}
