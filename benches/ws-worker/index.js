// A Durable Object that holds the long connection, with WSClient from feishu-edge/ws: what a
// Worker using it pays (benches/bundle.mjs measures it; the ws suite runs WSClient in workerd).
import { EventDispatcher } from '../../pkg/workerd.js';
import { WSClient } from '../../pkg/ws-workerd.js';

export class LongConnection {
  constructor(state, env) {
    this.env = env;
  }
  async fetch() {
    this.ws ??= new WSClient({ appId: this.env.FEISHU_APP_ID, appSecret: this.env.FEISHU_APP_SECRET });
    await this.ws.start({
      eventDispatcher: new EventDispatcher({}).register({ 'im.message.receive_v1': (data) => console.log('message', data.message?.message_id) }),
    });
    return new Response('connected');
  }
}

export default {
  fetch: (request, env) => env.LONG_CONNECTION.get(env.LONG_CONNECTION.idFromName('bot')).fetch(request),
};
