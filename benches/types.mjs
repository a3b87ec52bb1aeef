// What the declarations cost an editor: their total size, and how long `tsc --strict --noEmit`
// takes on a consumer that calls one method in each of 20 namespaces and reads a reply field,
// feishu-edge (the packed package) vs @larksuiteoapi/node-sdk, interleaved, median of `runs`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, readFileSync, readdirSync, statSync, rmSync, symlinkSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, median } from './lib.mjs';

const NAMESPACES = [
  ['im.v1.message.get', 'message_id'], ['contact.v3.user.get', 'user_id'], ['calendar.v4.calendar.get', 'calendar_id'], ['drive.v1.file.list', null],
  ['docx.v1.document.get', 'document_id'], ['bitable.v1.app.get', 'app_token'], ['wiki.v2.space.get', 'space_id'], ['task.v2.task.get', 'task_guid'],
  ['approval.v4.instance.get', 'instance_id'], ['vc.v1.meeting.get', 'meeting_id'], ['attendance.v1.group.get', 'group_id'], ['hire.v1.job.get', 'job_id'],
  ['corehr.v1.department.get', 'department_id'], ['application.v6.application.get', 'app_id'], ['mail.v1.mailgroup.get', 'mailgroup_id'], ['okr.v1.period.list', null],
  ['helpdesk.v1.ticket.get', 'ticket_id'], ['sheets.v3.spreadsheet.get', 'spreadsheet_token'], ['search.v2.dataSource.get', 'data_source_id'], ['admin.v1.badge.get', 'badge_id'],
];

function consumer(dir, kind) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  const pkgDir = kind === 'edge' ? join(ROOT, 'pkg') : join(ROOT, 'node_modules', '@larksuiteoapi', 'node-sdk');
  if (kind === 'edge') symlinkSync(pkgDir, join(dir, 'node_modules', 'feishu-edge'));
  else { mkdirSync(join(dir, 'node_modules', '@larksuiteoapi'), { recursive: true }); symlinkSync(pkgDir, join(dir, 'node_modules', '@larksuiteoapi', 'node-sdk')); }
  const calls = NAMESPACES.map(([name, param], i) => {
    const payload = param ? `{ path: { ${param}: 'x' } }` : '{}';
    return `  const r${i} = await c.${name}(${payload} as any);\n  void r${i}.data;`;
  }).join('\n');
  const head = kind === 'edge' ? `import { FeishuClient } from 'feishu-edge';\nconst c = new FeishuClient({ appId: 'a', appSecret: 'b' });` : `import * as lark from '@larksuiteoapi/node-sdk';\nconst c = new lark.Client({ appId: 'a', appSecret: 'b' });`;
  writeFileSync(join(dir, 'main.ts'), `${head}\nexport async function main() {\n${calls}\n}\n`);
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2022', 'DOM'], skipLibCheck: true, types: [] }, files: ['main.ts'] }));
}

function dtsBytes(dir) {
  let total = 0;
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    const st = statSync(p);
    if (st.isDirectory()) { if (f !== 'node_modules') total += dtsBytes(p); } else if (f.endsWith('.d.ts')) total += st.size;
  }
  return total;
}

export function typeCheck({ runs = 5 } = {}) {
  const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
  const base = join(ROOT, 'tests', '.tmp', 'types-bench');
  consumer(join(base, 'edge'), 'edge');
  consumer(join(base, 'official'), 'official');
  const times = { edge: [], official: [] };
  for (let i = 0; i < runs; i++) {
    for (const kind of i % 2 ? ['official', 'edge'] : ['edge', 'official']) {
      const t0 = performance.now();
      execFileSync(tsc, ['-p', join(base, kind, 'tsconfig.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
      times[kind].push(performance.now() - t0);
    }
  }
  const edgeMs = median(times.edge), officialMs = median(times.official);
  return {
    runs, namespaces: NAMESPACES.length,
    declarationBytes: { edge: dtsBytes(join(ROOT, 'pkg')), official: dtsBytes(join(ROOT, 'node_modules', '@larksuiteoapi', 'node-sdk', 'types')) },
    checkMs: { edge: edgeMs, official: officialMs }, ratio: edgeMs / officialMs,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(typeCheck(), null, 2));
