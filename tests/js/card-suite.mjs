// Cards through the built package in Node, Deno and workerd: builder snapshots, validation,
// escaping, callback parsing, and CardKit streaming against the emulator.
import { assert, assertEqual, assertRejects } from './harness.mjs';
import golden from './generated/card-golden.mjs';

const APP = { appId: 'cli_0123456789abcdef', appSecret: 'emu_secret_value' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const control = async (emuUrl, path, body) => (await fetch(emuUrl + path, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) })).json();

const SNAPSHOT = '{"schema":"2.0","config":{"update_multi":true},"header":{"title":{"tag":"plain_text","content":"Release 1.2"},"subtitle":{"tag":"plain_text","content":"ready"},"template":"green","text_tag_list":[{"tag":"text_tag","text":{"tag":"plain_text","content":"prod"},"color":"red"}]},"body":{"elements":['
  + '{"tag":"markdown","content":"**done**","element_id":"summary"},'
  + '{"tag":"div","text":{"tag":"plain_text","content":"plain"}},'
  + '{"tag":"hr"},'
  + '{"tag":"img","img_key":"img_v3_1","alt":{"tag":"plain_text","content":"logo"}},'
  + '{"tag":"button","text":{"tag":"plain_text","content":"Approve"},"type":"primary","behaviors":[{"type":"callback","value":{"op":"ok"}}],"confirm":{"title":{"tag":"plain_text","content":"Sure?"},"text":{"tag":"plain_text","content":"Ships it"}}},'
  + '{"tag":"column_set","flex_mode":"none","columns":[{"tag":"column","width":"weighted","weight":1,"elements":[{"tag":"markdown","content":"left"}]},{"tag":"column","width":"weighted","weight":1,"elements":[{"tag":"person","user_id":"ou_1"}]}]},'
  + '{"tag":"collapsible_panel","expanded":true,"header":{"title":{"tag":"markdown","content":"More"}},"elements":[{"tag":"markdown","content":"hidden"}]},'
  + '{"tag":"form","name":"f1","elements":[{"tag":"input","name":"reason","label":{"tag":"plain_text","content":"Why"}},{"tag":"select_static","name":"env","options":[{"text":{"tag":"plain_text","content":"prod"},"value":"prod"}]},{"tag":"date_picker","name":"day"},{"tag":"button","text":{"tag":"plain_text","content":"Send"},"type":"default","form_action_type":"submit","name":"submit"}]},'
  + '{"tag":"table","page_size":10,"columns":[{"name":"c0","display_name":"Name","data_type":"text"}],"rows":[{"c0":"a"}]},'
  + '{"tag":"chart","chart_spec":{"type":"bar"}}'
  + ']}}';

export const cardTests = [
  {
    name: 'the fluent Card and the factories build deterministic, valid Card JSON 2.0',
    async fn(ctx) {
      const { Card, columns, person, markdown, input, select, datePicker, button } = ctx;
      const c = new Card({ config: { update_multi: true } })
        .header('Release 1.2', { subtitle: 'ready', template: 'green', tags: [{ text: 'prod', color: 'red' }] })
        .markdown('**done**', { elementId: 'summary' })
        .text('plain')
        .divider()
        .image('img_v3_1', { alt: 'logo' })
        .button('Approve', { value: { op: 'ok' }, type: 'primary', confirm: { title: 'Sure?', text: 'Ships it' } })
        .add(columns([markdown('left')], [person('ou_1')]))
        .panel('More', [markdown('hidden')], { expanded: true })
        .form('f1', [input('reason', { label: 'Why' }), select('env', ['prod']), datePicker('day'), button('Send', { submit: true })])
        .table(['Name'], [['a']])
        .chart({ type: 'bar' });
      assertEqual(JSON.stringify(c), SNAPSHOT);
      assertEqual(String(c), SNAPSHOT);
      assertEqual(c.toJSON().body.elements.length, 10);
      c.validate();
      assertEqual(JSON.stringify(ctx.textCard('Hi', 'body')), '{"schema":"2.0","header":{"title":{"tag":"plain_text","content":"Hi"},"template":"blue"},"body":{"elements":[{"tag":"markdown","content":"body"}]}}');
      assertEqual(ctx.alertCard('Down', 'db', 'error').toJSON().header.template, 'red');
      assertEqual(ctx.tableCard('T', ['a', 'b'], [[1, 2]]).toJSON().body.elements[0].rows, [{ c0: 1, c1: 2 }]);
    },
  },
  {
    name: 'one builder: the factories and the fluent Card build the same elements either way; bad arguments are FeishuErrors naming the element',
    async fn(ctx) {
      const { Card, FeishuError } = ctx;
      // Every factory standalone equals its fluent form (the fluent one is described, built in one call).
      const calls = [
        ['markdown', ['**a**', { elementId: 'a1', text_align: 'center' }]],
        ['text', [42]],
        ['divider', []],
        ['image', ['img_1']],
        ['button', ['Go', { url: 'https://example.com', type: 'primary_filled', size: 'small' }]],
        ['button', ['Send', { submit: true, name: 'go' }]],
        ['button', ['Zero', { submit: 0, name: 'n', value: null }]],
        ['columns', [[ctx.markdown('l')], ctx.column([ctx.markdown('r')], { weight: 2 })]],
        ['panel', ['More', [ctx.divider()], { expanded: true, border: { color: 'grey' } }]],
        ['form', ['f', [ctx.button('OK', { submit: true })]]],
        ['input', ['why', { placeholder: 'because', required: true, max_length: 10 }]],
        ['select', ['env', [{ text: 'Production', value: 'prod' }, 'dev'], { multiple: true, placeholder: 'pick' }]],
        ['datePicker', ['day', { initialDate: '2026-12-04' }]],
        ['table', [[{ name: 'n', displayName: 'Name' }, 'Score'], [['a', 1], ['b'], { n: 'c', c1: 3 }], { pageSize: 5 }]],
        ['chart', [{ type: 'line' }, { aspect_ratio: '16:9' }]],
        ['person', ['ou_1', { size: 'small' }]],
      ];
      for (const [name, args] of calls) {
        const standalone = ctx[name](...args);
        const fluent = new Card()[name](...args).toJSON().body.elements[0];
        assertEqual(fluent, standalone, name);
      }
      assertEqual(ctx.button('Zero', { submit: 0, name: 'n', value: null }), { tag: 'button', text: { tag: 'plain_text', content: 'Zero' }, type: 'default', behaviors: [{ type: 'callback', value: null }], name: 'n' });
      assertEqual(ctx.table([{ name: 'n', displayName: 'Name' }, 'Score'], [['a', 1], ['b']]).rows, [{ n: 'a', c1: 1 }, { n: 'b', c1: '' }]);
      assertEqual(ctx.select('env', ['dev'], { multiple: true }).tag, 'multi_select_static');
      assertEqual(ctx.markdown('x', { elementId: 'e1', tag: 'lark_md' }), { tag: 'lark_md', content: 'x', element_id: 'e1' }, 'options are copied over, as assignment would');
      // Bad arguments: a FeishuError naming the element, thrown by the factory or by toJSON/toString.
      const fails = (fn, path, words) => {
        try {
          fn();
        } catch (e) {
          assert(e instanceof FeishuError, String(e));
          assertEqual([e.kind, e.path], ['invalid_card', path]);
          assert(e.message.includes(words), e.message);
          return;
        }
        throw new Error(`expected a failure at ${path}`);
      };
      fails(() => ctx.select('env', 'prod'), '', '`options` must be an array');
      fails(() => ctx.markdown('x', 'not options'), '', 'options must be an object');
      fails(() => String(new Card().markdown('ok').table('not columns', [])), 'body.elements[1]', '`columns` must be an array');
      fails(() => JSON.stringify(new Card().divider().panel('p', [ctx.divider()]).form('f', null)), 'body.elements[2]', '`elements` must be an array');
    },
  },
  {
    name: 'the factories (generated from src/card/shapes.json) build the same bytes as the Rust builders, without wasm',
    async fn(ctx) {
      // Each call of the fixture tests/card.rs writes from the Rust builders.
      const run = (call) => {
        const args = call.args.map(function arg(a) {
          if (Array.isArray(a)) return a.map(arg);
          if (a && typeof a === 'object') return a.$call ? run(a.$call) : Object.fromEntries(Object.entries(a).map(([k, v]) => [k, arg(v)]));
          return a;
        });
        if (call.fn !== 'Card') return ctx[call.fn](...args);
        const [{ title, header, config, elements }] = args;
        const c = new ctx.Card({ config });
        if (title !== undefined) c.header(title, header);
        return c.add(...elements);
      };
      assert(golden.length >= 25, `${golden.length} cases`);
      for (const { call, json } of golden) {
        const built = run(call);
        assertEqual(JSON.stringify(built), JSON.stringify(JSON.parse(json)), call.fn);
        if (JSON.stringify(built) !== json) throw new Error(`${call.fn}: ${JSON.stringify(built)} is not byte for byte ${json}`);
        if (built instanceof ctx.Card) assertEqual(String(built) === json, true, `${call.fn}: String(card) validates and keeps the bytes`);
      }
      // The factories are plain JS: an element is a fresh plain object every call.
      const a = ctx.markdown('x');
      assert(a !== ctx.markdown('x') && Object.getPrototypeOf(a) === Object.prototype, 'plain objects');
    },
  },
  {
    name: 'validation failures are FeishuErrors naming the element; the 30 KB limit is enforced',
    async fn(ctx) {
      const { Card, FeishuError, markdown } = ctx;
      const expectFailure = (card, reason, path) => {
        try {
          ctx.validateCard(card);
        } catch (e) {
          assert(e instanceof FeishuError, String(e));
          assertEqual([e.kind, e.reason, e.path], ['invalid_card', reason, path]);
          return e;
        }
        throw new Error(`expected ${reason}`);
      };
      expectFailure({ schema: '2.0', body: { elements: [{ tag: 'marquee' }] } }, 'unknown_tag', 'body.elements[0]');
      expectFailure(new Card().divider().add({ tag: 'markdown' }), 'missing_field', 'body.elements[1]');
      expectFailure(new Card().markdown('a', { elementId: 'x' }).markdown('b', { elementId: 'x' }), 'duplicate_element_id', 'body.elements[1]');
      expectFailure(new Card().markdown('a', { elementId: '9lives' }), 'invalid_element_id', 'body.elements[0]');
      expectFailure(new Card().form('f', [ctx.input('x')]), 'missing_submit', 'body.elements[0]');
      expectFailure({ schema: '1.0', body: { elements: [] } }, 'invalid_schema', 'schema');
      const big = new Card().markdown('small').markdown('x'.repeat(20000), { elementId: 'essay' }).markdown('y'.repeat(11000));
      const e = expectFailure(big, 'too_large', '');
      assert(e.message.includes('essay'), e.message);
      assert(new Card().add(markdown('x'.repeat(30000))).validate(), 'just under the limit passes');
    },
  },
  {
    name: 'escapeMarkdown escapes every Markdown special character; parseAction reads both callback flows',
    async fn(ctx) {
      const specials = '\\*_~`#[](){}|!-+=$<>';
      const escaped = ctx.escapeMarkdown(specials);
      for (const c of specials) assert(!escaped.includes(c) || c === '#', `${c} survived in ${escaped}`);
      assertEqual(ctx.escapeMarkdown('a & b'), 'a &amp; b');
      assertEqual(ctx.escapeMarkdown('plain 中文.'), 'plain 中文.');
      const legacy = ctx.parseAction('{"open_id":"ou_l","open_message_id":"om_l","token":"c-1","action":{"tag":"select_static","option":"prod","value":{"k":1}}}');
      assertEqual([legacy.flow, legacy.tag, legacy.option, legacy.value, legacy.openMessageId, legacy.token], ['legacy', 'select_static', 'prod', { k: 1 }, 'om_l', 'c-1']);
      const v2 = ctx.parseAction({ event_type: 'card.action.trigger', token: 'c-2', operator: { open_id: 'ou_v' }, action: { tag: 'button', form_value: { reason: 'x' } }, context: { open_message_id: 'om_v', open_chat_id: 'oc_v' } });
      assertEqual([v2.flow, v2.openId, v2.formValue, v2.openChatId, v2.token], ['v2', 'ou_v', { reason: 'x' }, 'oc_v', 'c-2']);
      assertEqual(ctx.parseAction({ nothing: true }), null);
      // The platform's documented card.action.trigger sample: every field kept.
      const sample = {
        schema: '2.0',
        header: { event_id: 'f7984f25108f8137722bb63cee927e66', token: 'v', create_time: '1603977298000000', event_type: 'card.action.trigger', tenant_key: 'tk_s', app_id: 'cli_s' },
        event: {
          operator: { tenant_key: 'tk_s', user_id: 'u_s', open_id: 'ou_s', union_id: 'on_s' },
          token: 'c-s',
          action: { value: { key: 'value' }, tag: 'date_picker', timezone: 'Asia/Shanghai', form_value: { field: 'x' }, name: 'picker', input_value: 'typed', option: '2026-12-04', options: ['a'], checked: true },
          host: 'im_message',
          delivery_type: 'url_preview',
          context: { url: 'https://example.com/doc', preview_token: 'pt_s', open_message_id: 'om_s', open_chat_id: 'oc_s' },
        },
      };
      assertEqual(ctx.parseAction(sample), {
        flow: 'v2', tag: 'date_picker', option: '2026-12-04', inputValue: 'typed', name: 'picker', openId: 'ou_s', userId: 'u_s', unionId: 'on_s',
        openMessageId: 'om_s', openChatId: 'oc_s', token: 'c-s', tenantKey: 'tk_s', timezone: 'Asia/Shanghai', host: 'im_message', deliveryType: 'url_preview',
        url: 'https://example.com/doc', previewToken: 'pt_s', value: { key: 'value' }, formValue: { field: 'x' }, options: ['a'], checked: true,
      });
      const multi = ctx.parseAction({ event_type: 'card.action.trigger', operator: { open_id: 'ou_m' }, action: { tag: 'multi_select_static', options: ['a', 'b'] } });
      assertEqual([multi.options, multi.checked, multi.timezone], [['a', 'b'], null, null]);
      const checker = ctx.parseAction({ event_type: 'card.action.trigger', operator: { open_id: 'ou_c' }, action: { tag: 'checker', checked: false } });
      assertEqual(checker.checked, false);
      const picker = ctx.parseAction('{"open_id":"ou_p","action":{"tag":"picker_datetime","option":"2026-11-22 10:00 +0800","timezone":"Asia/Shanghai"}}');
      assertEqual([picker.option, picker.timezone, picker.options], ['2026-11-22 10:00 +0800', 'Asia/Shanghai', null]);
      assertEqual(ctx.parseAction({ action: { tag: 'multi_select_static', options: [1, 2] } }).options, null, 'not strings: not options');
    },
  },
  {
    name: 'streamCard: 200 chunks at 5 ms → one create, one reply, debounced increasing updates, full text, one close',
    async fn(ctx) {
      await control(ctx.emuUrl, '/__emu/reset', {});
      const client = new ctx.FeishuClient({ ...APP, baseUrl: ctx.emuUrl, logLevel: 'none' });
      const words = Array.from({ length: 200 }, (_, i) => `w${i} `);
      async function* model() { for (const w of words) { await sleep(5); yield w; } }
      const started = Date.now();
      const cardId = await client.streamCard(model(), { replyTo: 'om_question', debounceMs: 250, header: 'Answer' });
      const elapsed = Date.now() - started;
      const cards = await control(ctx.emuUrl, '/__emu/cards');
      const entry = cards[cardId];
      assert(entry, `card ${cardId} exists`);
      const log = (await control(ctx.emuUrl, '/__emu/log')).requests.filter((r) => !r.path.startsWith('auth/'));
      assertEqual(log.filter((r) => r.method === 'POST' && r.path === 'cardkit/v1/cards').length, 1, 'creates');
      assertEqual(log.filter((r) => r.path === 'im/v1/messages/om_question/reply').length, 1, 'replies');
      const reply = log.find((r) => r.path.endsWith('/reply'));
      assertEqual(JSON.parse(reply.body.content), { type: 'card', data: { card_id: cardId } });
      const updates = log.filter((r) => r.method === 'PUT' && r.path.endsWith('/elements/md/content'));
      const bound = Math.floor(elapsed / 250) + 1;
      assert(updates.length >= 2 && updates.length <= bound, `${updates.length} updates in ${elapsed} ms (bound ${bound})`);
      const sequences = log.filter((r) => r.body?.sequence !== undefined).map((r) => r.body.sequence);
      assert(sequences.every((s, i) => i === 0 || s > sequences[i - 1]), `sequences ${sequences}`);
      assertEqual(new Set(updates.map((u) => u.body.uuid)).size, updates.length, 'a fresh uuid per update');
      assertEqual(entry.elements.md, words.join(''));
      assertEqual([entry.settingsCalls, entry.streaming], [1, false]);
      assertEqual(JSON.parse(log[0].body.data).header.title.content, 'Answer');
    },
  },
  {
    name: 'streamCard: a source that throws still closes the card, shows a note, and rejects with the source error',
    async fn(ctx) {
      await control(ctx.emuUrl, '/__emu/reset', {});
      const client = new ctx.FeishuClient({ ...APP, baseUrl: ctx.emuUrl, logLevel: 'none' });
      const boom = new Error('model overloaded');
      async function* failing() { yield 'partial '; await sleep(5); yield 'answer'; throw boom; }
      const err = await assertRejects(client.streamCard(failing(), { receiveId: 'oc_chat', debounceMs: 50 }));
      assert(err === boom, `rejects with the source's own error, got ${err}`);
      const cards = await control(ctx.emuUrl, '/__emu/cards');
      const [entry] = Object.values(cards);
      assert(entry.elements.md.startsWith('partial answer') && entry.elements.md.includes('interrupted') && entry.elements.md.includes('model overloaded'), entry.elements.md);
      assertEqual(entry.streaming, false);
      const send = (await control(ctx.emuUrl, '/__emu/log')).requests.find((r) => r.path === 'im/v1/messages');
      assertEqual([send.query, send.body.receive_id, send.body.msg_type], ['?receive_id_type=chat_id', 'oc_chat', 'interactive']);
      const stream = new ReadableStream({ start(c) { c.enqueue('from '); c.enqueue('a stream'); c.close(); } });
      const id = await client.streamCard(stream, { receiveId: 'ou_user', debounceMs: 10 });
      assertEqual((await control(ctx.emuUrl, '/__emu/cards'))[id].elements.md, 'from a stream');
      await assertRejects(client.streamCard(['x'], { receiveId: 'oc_1', replyTo: 'om_1' }), (e) => assertEqual(e.kind, 'invalid_request'));
      const whole = await client.streamCard('one whole string', { receiveId: 'oc_whole', debounceMs: 10 });
      const wholeCard = (await control(ctx.emuUrl, '/__emu/cards'))[whole];
      assertEqual([wholeCard.elements.md, wholeCard.updates], ['one whole string', 1], 'a string is one chunk');
    },
  },
];
