// feishu-edge/webhook: the webhook side alone, on its own wasm build without the client
// pipeline. The same declarations as the main entry's; `options.client` is refused here.
export {
  EventDispatcher, CardActionHandler, FeishuError,
  computeSignature, computeSignatureAsync, verifySignature, verifySignatureAsync,
  decryptEvent, decryptEventAsync, encryptEvent, encryptEventAsync, signEvent, signEventAsync,
  Card, card, textCard, alertCard, tableCard, markdown, text, divider, image, button, column, columns,
  panel, form, input, select, datePicker, table, chart, person, validateCard, escapeMarkdown, parseAction,
  FeishuStateObject, durableObjectStore, denoKvStore, redisStore,
} from '../index.js';
export type * from '../index.js';
