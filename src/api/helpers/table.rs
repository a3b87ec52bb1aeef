//! The task-level helpers as data: one row per helper (see [`Helper`]), run by the generic caller
//! ([`Helper::prepare`], [`Client::helper`](crate::Client::helper)). This table is the one source
//! of truth: the JS package's `generated/helpers-data.js` is generated from it (`FEISHU_REGEN=1
//! cargo test --test helpers` rewrites it; `cargo test` fails while it is stale).
//!
//! The helpers whose work is more than one call (`im.send` / `im.reply`: id and message type
//! inference; `im.updateCard`: the card rules; the uploads: bytes, and the chunked upload's
//! plan; OAuth; custom-bot webhooks) are not rows: their decisions are the functions of
//! [`crate::api::helpers`].
//!
//! ```
//! use feishu_edge::api::helpers::HELPERS;
//! assert!(HELPERS.len() >= 50);
//! assert!(HELPERS.windows(2).all(|w| w[0].name != w[1].name));
//! ```

use super::run::{Derive::*, FileArg, Helper, Kind, Param, Value, Value::*, BASE};
use crate::api::generated as g;
use crate::api::{BodyKind, Endpoint, ResponseKind};
use crate::transport::Method;

const fn arg(name: &'static str) -> Param {
    Param {
        name,
        default: Absent,
    }
}
const fn or(name: &'static str, default: Value) -> Param {
    Param { name, default }
}
// The two options of every paging helper: the page size (its default) and where to stop.
const MAX_ITEMS: Param = arg("maxItems");
const SIZE_50: Param = or("pageSize", Const("50"));
const SIZE_100: Param = or("pageSize", Const("100"));
const PAGING_50: [Param; 2] = [SIZE_50, MAX_ITEMS];
const PAGING_100: [Param; 2] = [SIZE_100, MAX_ITEMS];
const PAGE_SIZE: (&str, Value) = ("page_size", Arg("pageSize"));

/// The sheets v2 value endpoints (not in the v3 catalog the schema covers).
const fn sheets_v2(name: &'static str, method: Method, path: &'static str) -> Endpoint {
    Endpoint {
        name,
        method,
        path,
        paginated: false,
        body: match method {
            Method::Get => BodyKind::None,
            _ => BodyKind::Json,
        },
        response: ResponseKind::Json,
    }
}
const SHEETS_V2_VALUES_GET: Endpoint = sheets_v2(
    "sheets.v2.spreadsheetValues.get",
    Method::Get,
    "sheets/v2/spreadsheets/{spreadsheet_token}/values/{range}",
);
const SHEETS_V2_VALUES_UPDATE: Endpoint = sheets_v2(
    "sheets.v2.spreadsheetValues.update",
    Method::Put,
    "sheets/v2/spreadsheets/{spreadsheet_token}/values",
);
const SHEETS_V2_VALUES_APPEND: Endpoint = sheets_v2(
    "sheets.v2.spreadsheetValues.append",
    Method::Post,
    "sheets/v2/spreadsheets/{spreadsheet_token}/values_append",
);
const SHEETS_V2_VALUES_BATCH_GET: Endpoint = sheets_v2(
    "sheets.v2.spreadsheetValues.batchGet",
    Method::Get,
    "sheets/v2/spreadsheets/{spreadsheet_token}/values_batch_get",
);
const SHEETS_V2_VALUES_BATCH_UPDATE: Endpoint = sheets_v2(
    "sheets.v2.spreadsheetValues.batchUpdate",
    Method::Post,
    "sheets/v2/spreadsheets/{spreadsheet_token}/values_batch_update",
);

const CALENDAR: (&str, Value) = ("calendar_id", Arg("calendarId"));
const EVENT: (&str, Value) = ("event_id", Arg("eventId"));
const FILE: (&str, Value) = ("file_token", Arg("fileToken"));
const SPREADSHEET: (&str, Value) = ("spreadsheet_token", Arg("spreadsheetToken"));
const APP_TABLE: [(&str, Value); 2] =
    [("app_token", Arg("appToken")), ("table_id", Arg("tableId"))];
const TASK: (&str, Value) = ("task_guid", Arg("taskGuid"));
const RESERVE: (&str, Value) = ("reserve_id", Arg("reserveId"));
const VALUE_RANGE: Value = Object(&[(
    "valueRange",
    Object(&[("range", Arg("range")), ("values", Arg("values"))]),
)]);

/// Every table-driven helper, by namespace.
pub const HELPERS: &[Helper] = &[
    // ---- im
    // Recalls (deletes) a sent message.
    Helper {
        name: "im.recall",
        endpoint: &g::IM_V1_MESSAGE_DELETE,
        args: &[arg("messageId")],
        path: &[("message_id", Arg("messageId"))],
        ..BASE
    },
    // Uploads an image for messages; resolves to its image_key.
    Helper {
        name: "im.uploadImage",
        endpoint: &g::IM_V1_IMAGE_CREATE,
        kind: Kind::Upload,
        args: &[arg("image")],
        options: Some(&[or("imageType", Const(r#""message""#))]),
        body: Object(&[("image_type", Arg("imageType"))]),
        file: Some(FileArg {
            arg: "image",
            field: "image",
            filename: None,
        }),
        result: &["image_key"],
        ..BASE
    },
    // Uploads a file for messages (`fileType`: stream, pdf, doc, mp4, opus…); resolves to its file_key.
    Helper {
        name: "im.uploadFile",
        endpoint: &g::IM_V1_FILE_CREATE,
        kind: Kind::Upload,
        args: &[arg("file"), arg("fileName")],
        options: Some(&[or("fileType", Const(r#""stream""#)), arg("duration")]),
        body: Object(&[
            ("file_type", Arg("fileType")),
            ("file_name", Arg("fileName")),
            ("duration", Arg("duration")),
        ]),
        file: Some(FileArg {
            arg: "file",
            field: "file",
            filename: Some("fileName"),
        }),
        result: &["file_key"],
        ..BASE
    },
    // A message's image or file, as bytes (`type`: 'image' or 'file').
    Helper {
        name: "im.downloadResource",
        endpoint: &g::IM_V1_MESSAGE_RESOURCE_GET,
        kind: Kind::Download,
        args: &[
            arg("messageId"),
            arg("fileKey"),
            or("type", Const(r#""file""#)),
        ],
        path: &[
            ("message_id", Arg("messageId")),
            ("file_key", Arg("fileKey")),
        ],
        query: Object(&[("type", Arg("type"))]),
        ..BASE
    },
    // ---- contact
    // A user; the id type comes from the id (ou_ open_id, on_ union_id, otherwise user_id).
    Helper {
        name: "contact.getUser",
        endpoint: &g::CONTACT_V3_USER_GET,
        args: &[arg("userId")],
        options: Some(&[or("userIdType", Derived(UserIdType, "userId"))]),
        path: &[("user_id", Arg("userId"))],
        query: Object(&[("user_id_type", Arg("userIdType"))]),
        result: &["user"],
        ..BASE
    },
    // Several users by id.
    Helper {
        name: "contact.batchGetUsers",
        endpoint: &g::CONTACT_V3_USER_BATCH,
        args: &[arg("userIds")],
        options: Some(&[or("userIdType", Const(r#""open_id""#))]),
        query: Object(&[
            ("user_ids", Arg("userIds")),
            ("user_id_type", Arg("userIdType")),
        ]),
        result: &["items"],
        or_empty: true,
        ..BASE
    },
    // `{ emails?, mobiles? }` → their user ids.
    Helper {
        name: "contact.userIdsBy",
        endpoint: &g::CONTACT_V3_USER_BATCH_GET_ID,
        options: Some(&[
            arg("emails"),
            arg("mobiles"),
            or("userIdType", Const(r#""open_id""#)),
        ]),
        query: Object(&[("user_id_type", Arg("userIdType"))]),
        body: Object(&[("emails", Arg("emails")), ("mobiles", Arg("mobiles"))]),
        result: &["user_list"],
        or_empty: true,
        ..BASE
    },
    // A department's children (the root: '0'), item by item.
    Helper {
        name: "contact.departmentChildren",
        endpoint: &g::CONTACT_V3_DEPARTMENT_CHILDREN,
        kind: Kind::Pages,
        args: &[or("departmentId", Const(r#""0""#))],
        options: Some(&[or("fetchChild", Const("false")), SIZE_50, MAX_ITEMS]),
        path: &[("department_id", Arg("departmentId"))],
        query: Object(&[("fetch_child", Arg("fetchChild")), PAGE_SIZE]),
        ..BASE
    },
    // ---- calendar
    // The app's (or, as a user, the user's) primary calendar.
    Helper {
        name: "calendar.primaryCalendar",
        endpoint: &g::CALENDAR_V4_CALENDAR_PRIMARY,
        result: &["calendars", "0", "calendar"],
        ..BASE
    },
    // Creates an event in a calendar.
    Helper {
        name: "calendar.createEvent",
        endpoint: &g::CALENDAR_V4_CALENDAR_EVENT_CREATE,
        args: &[arg("calendarId"), arg("event")],
        path: &[CALENDAR],
        body: Arg("event"),
        result: &["event"],
        ..BASE
    },
    // An event.
    Helper {
        name: "calendar.getEvent",
        endpoint: &g::CALENDAR_V4_CALENDAR_EVENT_GET,
        args: &[arg("calendarId"), arg("eventId")],
        path: &[CALENDAR, EVENT],
        result: &["event"],
        ..BASE
    },
    // Changes an event's fields.
    Helper {
        name: "calendar.updateEvent",
        endpoint: &g::CALENDAR_V4_CALENDAR_EVENT_PATCH,
        args: &[arg("calendarId"), arg("eventId"), arg("patch")],
        path: &[CALENDAR, EVENT],
        body: Arg("patch"),
        result: &["event"],
        ..BASE
    },
    // Deletes an event.
    Helper {
        name: "calendar.deleteEvent",
        endpoint: &g::CALENDAR_V4_CALENDAR_EVENT_DELETE,
        args: &[arg("calendarId"), arg("eventId")],
        path: &[CALENDAR, EVENT],
        ..BASE
    },
    // A calendar's events (between `startTime` and `endTime`), item by item.
    Helper {
        name: "calendar.listEvents",
        endpoint: &g::CALENDAR_V4_CALENDAR_EVENT_LIST,
        kind: Kind::Pages,
        args: &[arg("calendarId")],
        options: Some(&[arg("startTime"), arg("endTime"), SIZE_50, MAX_ITEMS]),
        path: &[CALENDAR],
        query: Object(&[
            ("start_time", Arg("startTime")),
            ("end_time", Arg("endTime")),
            PAGE_SIZE,
        ]),
        ..BASE
    },
    // Invites attendees to an event.
    Helper {
        name: "calendar.addAttendees",
        endpoint: &g::CALENDAR_V4_CALENDAR_EVENT_ATTENDEE_CREATE,
        args: &[arg("calendarId"), arg("eventId"), arg("attendees")],
        options: Some(&[or("needNotification", Const("true"))]),
        path: &[CALENDAR, EVENT],
        body: Object(&[
            ("attendees", Arg("attendees")),
            ("need_notification", Arg("needNotification")),
        ]),
        result: &["attendees"],
        or_empty: true,
        ..BASE
    },
    // Busy intervals of a user or a room between `timeMin` and `timeMax`.
    Helper {
        name: "calendar.freeBusy",
        endpoint: &g::CALENDAR_V4_FREEBUSY_LIST,
        options: Some(&[arg("timeMin"), arg("timeMax"), arg("userId"), arg("roomId")]),
        body: Object(&[
            ("time_min", Arg("timeMin")),
            ("time_max", Arg("timeMax")),
            ("user_id", Arg("userId")),
            ("room_id", Arg("roomId")),
        ]),
        result: &["freebusy_list"],
        or_empty: true,
        ..BASE
    },
    // ---- drive
    // A folder's files, item by item.
    Helper {
        name: "drive.listFolder",
        endpoint: &g::DRIVE_V1_FILE_LIST,
        kind: Kind::Pages,
        args: &[arg("folderToken")],
        options: Some(&PAGING_50),
        query: Object(&[("folder_token", Arg("folderToken")), PAGE_SIZE]),
        items_key: Some("files"),
        ..BASE
    },
    // A file's bytes.
    Helper {
        name: "drive.downloadFile",
        endpoint: &g::DRIVE_V1_FILE_DOWNLOAD,
        kind: Kind::Download,
        args: &[arg("fileToken")],
        path: &[FILE],
        ..BASE
    },
    // Copies a file into a folder under a new name.
    Helper {
        name: "drive.copyFile",
        endpoint: &g::DRIVE_V1_FILE_COPY,
        args: &[arg("fileToken")],
        options: Some(&[
            arg("name"),
            or("type", Const(r#""file""#)),
            arg("folderToken"),
        ]),
        path: &[FILE],
        body: Object(&[
            ("name", Arg("name")),
            ("type", Arg("type")),
            ("folder_token", Arg("folderToken")),
        ]),
        result: &["file"],
        ..BASE
    },
    // Moves a file into a folder.
    Helper {
        name: "drive.moveFile",
        endpoint: &g::DRIVE_V1_FILE_MOVE,
        args: &[arg("fileToken")],
        options: Some(&[or("type", Const(r#""file""#)), arg("folderToken")]),
        path: &[FILE],
        body: Object(&[("type", Arg("type")), ("folder_token", Arg("folderToken"))]),
        ..BASE
    },
    // Deletes a file.
    Helper {
        name: "drive.deleteFile",
        endpoint: &g::DRIVE_V1_FILE_DELETE,
        args: &[arg("fileToken")],
        options: Some(&[or("type", Const(r#""file""#))]),
        path: &[FILE],
        query: Object(&[("type", Arg("type"))]),
        ..BASE
    },
    // ---- docx
    // Creates a document (in a folder when given).
    Helper {
        name: "docx.createDocument",
        endpoint: &g::DOCX_V1_DOCUMENT_CREATE,
        options: Some(&[arg("title"), arg("folderToken")]),
        body: Object(&[
            ("title", Arg("title")),
            ("folder_token", Arg("folderToken")),
        ]),
        result: &["document"],
        ..BASE
    },
    // A document's plain text.
    Helper {
        name: "docx.rawContent",
        endpoint: &g::DOCX_V1_DOCUMENT_RAW_CONTENT,
        args: &[arg("documentId")],
        path: &[("document_id", Arg("documentId"))],
        result: &["content"],
        ..BASE
    },
    // A document's blocks, item by item.
    Helper {
        name: "docx.listBlocks",
        endpoint: &g::DOCX_V1_DOCUMENT_BLOCK_LIST,
        kind: Kind::Pages,
        args: &[arg("documentId")],
        options: Some(&[or("pageSize", Const("200")), MAX_ITEMS]),
        path: &[("document_id", Arg("documentId"))],
        query: Object(&[PAGE_SIZE]),
        ..BASE
    },
    // Adds child blocks under a block (at `index`, else at the end).
    Helper {
        name: "docx.appendBlocks",
        endpoint: &g::DOCX_V1_DOCUMENT_BLOCK_CHILDREN_CREATE,
        args: &[arg("documentId"), arg("blockId"), arg("children")],
        options: Some(&[arg("index")]),
        path: &[
            ("document_id", Arg("documentId")),
            ("block_id", Arg("blockId")),
        ],
        body: Object(&[("children", Arg("children")), ("index", Arg("index"))]),
        ..BASE
    },
    // ---- sheets
    // Creates a spreadsheet (in a folder when given).
    Helper {
        name: "sheets.createSpreadsheet",
        endpoint: &g::SHEETS_V3_SPREADSHEET_CREATE,
        options: Some(&[arg("title"), arg("folderToken")]),
        body: Object(&[
            ("title", Arg("title")),
            ("folder_token", Arg("folderToken")),
        ]),
        result: &["spreadsheet"],
        ..BASE
    },
    // A spreadsheet's sheets.
    Helper {
        name: "sheets.listSheets",
        endpoint: &g::SHEETS_V3_SPREADSHEET_SHEET_QUERY,
        args: &[arg("spreadsheetToken")],
        path: &[SPREADSHEET],
        result: &["sheets"],
        or_empty: true,
        ..BASE
    },
    // The values of a range (`sheetId!A1:B2`).
    Helper {
        name: "sheets.readValues",
        endpoint: &SHEETS_V2_VALUES_GET,
        args: &[arg("spreadsheetToken"), arg("range")],
        path: &[SPREADSHEET, ("range", Arg("range"))],
        result: &["valueRange"],
        ..BASE
    },
    // Writes values into a range.
    Helper {
        name: "sheets.writeValues",
        endpoint: &SHEETS_V2_VALUES_UPDATE,
        args: &[arg("spreadsheetToken"), arg("range"), arg("values")],
        path: &[SPREADSHEET],
        body: VALUE_RANGE,
        ..BASE
    },
    // Appends rows after a range's data.
    Helper {
        name: "sheets.appendValues",
        endpoint: &SHEETS_V2_VALUES_APPEND,
        args: &[arg("spreadsheetToken"), arg("range"), arg("values")],
        options: Some(&[arg("insertDataOption")]),
        path: &[SPREADSHEET],
        query: Object(&[("insertDataOption", Arg("insertDataOption"))]),
        body: VALUE_RANGE,
        ..BASE
    },
    // The values of several ranges.
    Helper {
        name: "sheets.batchReadValues",
        endpoint: &SHEETS_V2_VALUES_BATCH_GET,
        args: &[arg("spreadsheetToken"), arg("ranges")],
        path: &[SPREADSHEET],
        query: Object(&[("ranges", Arg("ranges"))]),
        result: &["valueRanges"],
        or_empty: true,
        ..BASE
    },
    // Writes several ranges (`[{ range, values }]`).
    Helper {
        name: "sheets.batchWriteValues",
        endpoint: &SHEETS_V2_VALUES_BATCH_UPDATE,
        args: &[arg("spreadsheetToken"), arg("valueRanges")],
        path: &[SPREADSHEET],
        body: Object(&[("valueRanges", Arg("valueRanges"))]),
        ..BASE
    },
    // ---- bitable
    // A base's tables, item by item.
    Helper {
        name: "bitable.listTables",
        endpoint: &g::BITABLE_V1_APP_TABLE_LIST,
        kind: Kind::Pages,
        args: &[arg("appToken")],
        options: Some(&PAGING_100),
        path: &[("app_token", Arg("appToken"))],
        query: Object(&[PAGE_SIZE]),
        ..BASE
    },
    // A table's fields, item by item.
    Helper {
        name: "bitable.listFields",
        endpoint: &g::BITABLE_V1_APP_TABLE_FIELD_LIST,
        kind: Kind::Pages,
        args: &[arg("appToken"), arg("tableId")],
        options: Some(&PAGING_100),
        path: &APP_TABLE,
        query: Object(&[PAGE_SIZE]),
        ..BASE
    },
    // A table's records, item by item (other options are query parameters: view_id, filter…).
    Helper {
        name: "bitable.listRecords",
        endpoint: &g::BITABLE_V1_APP_TABLE_RECORD_LIST,
        kind: Kind::Pages,
        args: &[arg("appToken"), arg("tableId")],
        options: Some(&PAGING_100),
        path: &APP_TABLE,
        query: Object(&[("...", Rest), PAGE_SIZE]),
        ..BASE
    },
    // Records matching a search body (filter, sort, field_names...), page by page.
    Helper {
        name: "bitable.searchRecords",
        endpoint: &g::BITABLE_V1_APP_TABLE_RECORD_SEARCH,
        kind: Kind::Pages,
        args: &[arg("appToken"), arg("tableId"), or("search", Const("{}"))],
        options: Some(&PAGING_100),
        path: &APP_TABLE,
        query: Object(&[PAGE_SIZE]),
        body: Arg("search"),
        idempotent: true,
        ..BASE
    },
    // Creates records (each its fields, or `{ fields }`).
    Helper {
        name: "bitable.batchCreateRecords",
        endpoint: &g::BITABLE_V1_APP_TABLE_RECORD_BATCH_CREATE,
        args: &[arg("appToken"), arg("tableId"), arg("records")],
        path: &APP_TABLE,
        body: Object(&[("records", Derived(RecordFields, "records"))]),
        result: &["records"],
        or_empty: true,
        ..BASE
    },
    // Updates records (`[{ record_id, fields }]`).
    Helper {
        name: "bitable.batchUpdateRecords",
        endpoint: &g::BITABLE_V1_APP_TABLE_RECORD_BATCH_UPDATE,
        args: &[arg("appToken"), arg("tableId"), arg("records")],
        path: &APP_TABLE,
        body: Object(&[("records", Arg("records"))]),
        result: &["records"],
        or_empty: true,
        ..BASE
    },
    // Deletes records by id.
    Helper {
        name: "bitable.batchDeleteRecords",
        endpoint: &g::BITABLE_V1_APP_TABLE_RECORD_BATCH_DELETE,
        args: &[arg("appToken"), arg("tableId"), arg("recordIds")],
        path: &APP_TABLE,
        body: Object(&[("records", Arg("recordIds"))]),
        result: &["records"],
        or_empty: true,
        ..BASE
    },
    // ---- wiki
    // The wiki spaces, item by item.
    Helper {
        name: "wiki.listSpaces",
        endpoint: &g::WIKI_V2_SPACE_LIST,
        kind: Kind::Pages,
        options: Some(&PAGING_50),
        query: Object(&[PAGE_SIZE]),
        ..BASE
    },
    // A space's nodes (under `parentNodeToken`), item by item.
    Helper {
        name: "wiki.listNodes",
        endpoint: &g::WIKI_V2_SPACE_NODE_LIST,
        kind: Kind::Pages,
        args: &[arg("spaceId")],
        options: Some(&[arg("parentNodeToken"), SIZE_50, MAX_ITEMS]),
        path: &[("space_id", Arg("spaceId"))],
        query: Object(&[("parent_node_token", Arg("parentNodeToken")), PAGE_SIZE]),
        ..BASE
    },
    // A wiki node by token (`objType` for a document's token).
    Helper {
        name: "wiki.getNode",
        endpoint: &g::WIKI_V2_SPACE_GET_NODE,
        args: &[arg("token")],
        options: Some(&[arg("objType")]),
        query: Object(&[("token", Arg("token")), ("obj_type", Arg("objType"))]),
        result: &["node"],
        ..BASE
    },
    // ---- task
    // Creates a task.
    Helper {
        name: "task.createTask",
        endpoint: &g::TASK_V2_TASK_CREATE,
        args: &[arg("task")],
        body: Arg("task"),
        result: &["task"],
        ..BASE
    },
    // A task.
    Helper {
        name: "task.getTask",
        endpoint: &g::TASK_V2_TASK_GET,
        args: &[arg("taskGuid")],
        path: &[TASK],
        result: &["task"],
        ..BASE
    },
    // The tasks, item by item (other options are query parameters).
    Helper {
        name: "task.listTasks",
        endpoint: &g::TASK_V2_TASK_LIST,
        kind: Kind::Pages,
        options: Some(&PAGING_50),
        query: Object(&[("...", Rest), PAGE_SIZE]),
        ..BASE
    },
    // Changes a task's fields (`updateFields`: by default the keys given).
    Helper {
        name: "task.updateTask",
        endpoint: &g::TASK_V2_TASK_PATCH,
        args: &[
            arg("taskGuid"),
            arg("task"),
            or("updateFields", Derived(Keys, "task")),
        ],
        path: &[TASK],
        body: Object(&[
            ("task", Arg("task")),
            ("update_fields", Arg("updateFields")),
        ]),
        result: &["task"],
        ..BASE
    },
    // Deletes a task.
    Helper {
        name: "task.deleteTask",
        endpoint: &g::TASK_V2_TASK_DELETE,
        args: &[arg("taskGuid")],
        path: &[TASK],
        ..BASE
    },
    // Comments on a task.
    Helper {
        name: "task.addComment",
        endpoint: &g::TASK_V2_COMMENT_CREATE,
        args: &[arg("taskGuid"), arg("content")],
        body: Object(&[
            ("content", Arg("content")),
            ("resource_type", Const(r#""task""#)),
            ("resource_id", Arg("taskGuid")),
        ]),
        result: &["comment"],
        ..BASE
    },
    // A task's comments, item by item.
    Helper {
        name: "task.listComments",
        endpoint: &g::TASK_V2_COMMENT_LIST,
        kind: Kind::Pages,
        args: &[arg("taskGuid")],
        options: Some(&PAGING_50),
        query: Object(&[
            ("resource_type", Const(r#""task""#)),
            ("resource_id", Arg("taskGuid")),
            PAGE_SIZE,
        ]),
        ..BASE
    },
    // ---- approval
    // Starts an approval (`form` as its JSON text or as the list itself); resolves to the instance code.
    Helper {
        name: "approval.createInstance",
        endpoint: &g::APPROVAL_V4_INSTANCE_CREATE,
        options: Some(&[
            arg("approvalCode"),
            arg("userId"),
            arg("openId"),
            arg("form"),
        ]),
        body: Object(&[
            ("approval_code", Arg("approvalCode")),
            ("user_id", Arg("userId")),
            ("open_id", Arg("openId")),
            ("form", Derived(JsonText, "form")),
        ]),
        result: &["instance_code"],
        ..BASE
    },
    // An approval instance.
    Helper {
        name: "approval.getInstance",
        endpoint: &g::APPROVAL_V4_INSTANCE_GET,
        args: &[arg("instanceCode")],
        path: &[("instance_id", Arg("instanceCode"))],
        ..BASE
    },
    // An approval's instance codes (between `startTime` and `endTime`), item by item.
    Helper {
        name: "approval.listInstances",
        endpoint: &g::APPROVAL_V4_INSTANCE_LIST,
        kind: Kind::Pages,
        args: &[arg("approvalCode")],
        options: Some(&[arg("startTime"), arg("endTime"), SIZE_100, MAX_ITEMS]),
        query: Object(&[
            ("approval_code", Arg("approvalCode")),
            ("start_time", Arg("startTime")),
            ("end_time", Arg("endTime")),
            PAGE_SIZE,
        ]),
        items_key: Some("instance_code_list"),
        ..BASE
    },
    // Approves a task (`{ approval_code, instance_code, user_id, task_id, comment? }`).
    Helper {
        name: "approval.approveTask",
        endpoint: &g::APPROVAL_V4_TASK_APPROVE,
        args: &[arg("task")],
        body: Arg("task"),
        ..BASE
    },
    // Rejects a task (as approveTask).
    Helper {
        name: "approval.rejectTask",
        endpoint: &g::APPROVAL_V4_TASK_REJECT,
        args: &[arg("task")],
        body: Arg("task"),
        ..BASE
    },
    // ---- vc
    // Reserves a meeting until `endTime`.
    Helper {
        name: "vc.reserveMeeting",
        endpoint: &g::VC_V1_RESERVE_APPLY,
        options: Some(&[arg("endTime"), arg("ownerId"), arg("meetingSettings")]),
        body: Object(&[
            ("end_time", Arg("endTime")),
            ("owner_id", Arg("ownerId")),
            ("meeting_settings", Arg("meetingSettings")),
        ]),
        result: &["reserve"],
        ..BASE
    },
    // A reservation.
    Helper {
        name: "vc.getReservation",
        endpoint: &g::VC_V1_RESERVE_GET,
        args: &[arg("reserveId")],
        path: &[RESERVE],
        result: &["reserve"],
        ..BASE
    },
    // Changes a reservation.
    Helper {
        name: "vc.updateReservation",
        endpoint: &g::VC_V1_RESERVE_UPDATE,
        args: &[arg("reserveId"), arg("update")],
        path: &[RESERVE],
        body: Arg("update"),
        result: &["reserve"],
        ..BASE
    },
    // Cancels a reservation.
    Helper {
        name: "vc.deleteReservation",
        endpoint: &g::VC_V1_RESERVE_DELETE,
        args: &[arg("reserveId")],
        path: &[RESERVE],
        ..BASE
    },
    // A meeting (with its participants when asked).
    Helper {
        name: "vc.getMeeting",
        endpoint: &g::VC_V1_MEETING_GET,
        args: &[arg("meetingId")],
        options: Some(&[or("withParticipants", Const("false"))]),
        path: &[("meeting_id", Arg("meetingId"))],
        query: Object(&[("with_participants", Arg("withParticipants"))]),
        result: &["meeting"],
        ..BASE
    },
    // ---- board
    // A whiteboard's nodes.
    Helper {
        name: "board.listNodes",
        endpoint: &g::BOARD_V1_WHITEBOARD_NODE_LIST,
        args: &[arg("whiteboardId")],
        path: &[("whiteboard_id", Arg("whiteboardId"))],
        result: &["nodes"],
        or_empty: true,
        ..BASE
    },
    // A whiteboard as an image (bytes).
    Helper {
        name: "board.exportImage",
        endpoint: &g::BOARD_V1_WHITEBOARD_DOWNLOAD_AS_IMAGE,
        kind: Kind::Download,
        args: &[arg("whiteboardId")],
        path: &[("whiteboard_id", Arg("whiteboardId"))],
        ..BASE
    },
];
