//! Card callbacks as a typed action, from either flow: the v2 `card.action.trigger` event (raw
//! envelope or the handler's merged object) or the legacy card request URL body.

use crate::json::RawFields;

/// What the user did on a card.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CardAction {
    /// `v2` or `legacy`.
    pub flow: &'static str,
    /// The component's tag (`button`, `select_static`, `input`, `form`...).
    pub tag: Option<String>,
    /// The button's callback value, as JSON.
    pub value: Option<String>,
    /// A submitted form's values, as JSON.
    pub form_value: Option<String>,
    /// The chosen option of a select menu.
    pub option: Option<String>,
    /// The chosen options of a multi-select menu, as a JSON array of strings.
    pub options: Option<String>,
    /// A checker's state.
    pub checked: Option<bool>,
    /// A date or time picker's time zone.
    pub timezone: Option<String>,
    /// An input's text.
    pub input_value: Option<String>,
    /// The component's `name`.
    pub name: Option<String>,
    /// The operator's open id.
    pub open_id: Option<String>,
    /// The operator's user id.
    pub user_id: Option<String>,
    /// The operator's union id.
    pub union_id: Option<String>,
    /// The message holding the card.
    pub open_message_id: Option<String>,
    /// The chat holding the message.
    pub open_chat_id: Option<String>,
    /// The token for updating the card (valid 30 minutes, twice).
    pub token: Option<String>,
    /// The tenant.
    pub tenant_key: Option<String>,
    /// Where the card was (v2): `im_message`, `im_top_notice`...
    pub host: Option<String>,
    /// How it was delivered (v2): `url_preview` for a link preview's card.
    pub delivery_type: Option<String>,
    /// The previewed link (v2, link previews).
    pub url: Option<String>,
    /// The link preview's token (v2, link previews).
    pub preview_token: Option<String>,
}

fn obj<'a>(fields: &RawFields<'a>, key: &str) -> Option<RawFields<'a>> {
    fields.get(key).and_then(RawFields::parse)
}

/// True for a JSON array whose items are all strings.
fn is_string_array(json: &str) -> bool {
    crate::json::raw_items(json)
        .is_some_and(|items| items.iter().all(|i| crate::json::unquote(i).is_some()))
}

/// Parses a callback body or handler payload; `None` when it has no `action`.
///
/// ```
/// let a = feishu_edge::card::parse_action(r#"{"open_id":"ou_1","open_message_id":"om_1","token":"c-1","action":{"tag":"button","value":{"k":"v"}}}"#).unwrap();
/// assert_eq!((a.flow, a.tag.as_deref(), a.value.as_deref(), a.open_id.as_deref()), ("legacy", Some("button"), Some(r#"{"k":"v"}"#), Some("ou_1")));
/// let m = feishu_edge::card::parse_action(r#"{"action":{"tag":"multi_select_static","options":["a","b"]}}"#).unwrap();
/// assert_eq!(m.options.as_deref(), Some(r#"["a","b"]"#));
/// let c = feishu_edge::card::parse_action(r#"{"action":{"tag":"checker","checked":true}}"#).unwrap();
/// assert_eq!(c.checked, Some(true));
/// ```
pub fn parse_action(json: &str) -> Option<CardAction> {
    let top = RawFields::parse(json)?;
    // A raw v2 envelope: the fields live under `event`.
    let (fields, v2) = match obj(&top, "event") {
        Some(event) if top.get("schema").is_some() => (event, true),
        _ => {
            let v2 = top.get("operator").is_some()
                || top.str("event_type").as_deref() == Some("card.action.trigger");
            (top, v2)
        }
    };
    let action = obj(&fields, "action")?;
    let raw = |f: &RawFields<'_>, k: &str| f.get(k).map(|v| v.to_string()).filter(|v| v != "null");
    let mut out = CardAction {
        flow: if v2 { "v2" } else { "legacy" },
        tag: action.str("tag"),
        value: raw(&action, "value"),
        form_value: raw(&action, "form_value"),
        option: action.str("option"),
        options: raw(&action, "options").filter(|v| is_string_array(v)),
        checked: action.get("checked").and_then(|v| match v {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }),
        timezone: action.str("timezone"),
        input_value: action.str("input_value"),
        name: action.str("name"),
        token: fields.str("token"),
        tenant_key: fields.str("tenant_key"),
        ..Default::default()
    };
    if v2 {
        if let Some(op) = obj(&fields, "operator") {
            out.open_id = op.str("open_id");
            out.user_id = op.str("user_id");
            out.union_id = op.str("union_id");
            out.tenant_key = out.tenant_key.or_else(|| op.str("tenant_key"));
        }
        out.host = fields.str("host");
        out.delivery_type = fields.str("delivery_type");
        if let Some(ctx) = obj(&fields, "context") {
            out.open_message_id = ctx.str("open_message_id");
            out.open_chat_id = ctx.str("open_chat_id");
            out.url = ctx.str("url");
            out.preview_token = ctx.str("preview_token");
        }
    } else {
        out.open_id = fields.str("open_id");
        out.user_id = fields.str("user_id");
        out.union_id = fields.str("union_id");
        out.open_message_id = fields.str("open_message_id");
        out.open_chat_id = fields.str("open_chat_id");
    }
    Some(out)
}
