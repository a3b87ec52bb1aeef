// Generated from src/api/helpers/table.rs by tests/helpers.rs (`FEISHU_REGEN=1 cargo test --test helpers`): do not edit.
// namespace → helper → { kind?: 'pages' | 'download' | 'upload', options?: index of the options
// argument, itemsKey?, file?: [index of the bytes, multipart field, index of the file name?],
// result?: the field path in `data`, orEmpty?: `?? []` }. The core builds each call
// from the same row (`{ endpoint: 'ns.name', helperArgs }`).
export const HELPER_ROWS = {
  im: {
    recall: {},
    uploadImage: { kind: 'upload', file: [0, 'image'], result: ['image_key'] },
    uploadFile: { kind: 'upload', file: [0, 'file', 1], result: ['file_key'] },
    downloadResource: { kind: 'download' },
  },
  contact: {
    getUser: { result: ['user'] },
    batchGetUsers: { result: ['items'], orEmpty: true },
    userIdsBy: { result: ['user_list'], orEmpty: true },
    departmentChildren: { kind: 'pages', options: 1 },
  },
  calendar: {
    primaryCalendar: { result: ['calendars', 0, 'calendar'] },
    createEvent: { result: ['event'] },
    getEvent: { result: ['event'] },
    updateEvent: { result: ['event'] },
    deleteEvent: {},
    listEvents: { kind: 'pages', options: 1 },
    addAttendees: { result: ['attendees'], orEmpty: true },
    freeBusy: { result: ['freebusy_list'], orEmpty: true },
  },
  drive: {
    listFolder: { kind: 'pages', options: 1, itemsKey: 'files' },
    downloadFile: { kind: 'download' },
    copyFile: { result: ['file'] },
    moveFile: {},
    deleteFile: {},
  },
  docx: {
    createDocument: { result: ['document'] },
    rawContent: { result: ['content'] },
    listBlocks: { kind: 'pages', options: 1 },
    appendBlocks: {},
  },
  sheets: {
    createSpreadsheet: { result: ['spreadsheet'] },
    listSheets: { result: ['sheets'], orEmpty: true },
    readValues: { result: ['valueRange'] },
    writeValues: {},
    appendValues: {},
    batchReadValues: { result: ['valueRanges'], orEmpty: true },
    batchWriteValues: {},
  },
  bitable: {
    listTables: { kind: 'pages', options: 1 },
    listFields: { kind: 'pages', options: 2 },
    listRecords: { kind: 'pages', options: 2 },
    searchRecords: { kind: 'pages', options: 3 },
    batchCreateRecords: { result: ['records'], orEmpty: true },
    batchUpdateRecords: { result: ['records'], orEmpty: true },
    batchDeleteRecords: { result: ['records'], orEmpty: true },
  },
  wiki: {
    listSpaces: { kind: 'pages', options: 0 },
    listNodes: { kind: 'pages', options: 1 },
    getNode: { result: ['node'] },
  },
  task: {
    createTask: { result: ['task'] },
    getTask: { result: ['task'] },
    listTasks: { kind: 'pages', options: 0 },
    updateTask: { result: ['task'] },
    deleteTask: {},
    addComment: { result: ['comment'] },
    listComments: { kind: 'pages', options: 1 },
  },
  approval: {
    createInstance: { result: ['instance_code'] },
    getInstance: {},
    listInstances: { kind: 'pages', options: 1, itemsKey: 'instance_code_list' },
    approveTask: {},
    rejectTask: {},
  },
  vc: {
    reserveMeeting: { result: ['reserve'] },
    getReservation: { result: ['reserve'] },
    updateReservation: { result: ['reserve'] },
    deleteReservation: {},
    getMeeting: { result: ['meeting'] },
  },
  board: {
    listNodes: { result: ['nodes'], orEmpty: true },
    exportImage: { kind: 'download' },
  },
};
