// Integration test runner: every *.test.js, one at a time; closing line
// "N passed, N failed". Every process started is ended by PID.
'use strict';
const fs = require('fs');
const path = require('path');
const lib = require('./lib');

async function main() {
  const filter = process.argv[2];
  const files = fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort();
  let passed = 0; let failed = 0;
  console.log(`integration: storegw=${lib.STOREGW} logs in ${lib.OUTDIR}`);
  for (const f of files) {
    for (const t of require(path.join(__dirname, f))) {
      const name = `${f.replace('.test.js', '')}.${t.name}`;
      if (filter && !name.includes(filter)) continue;
      const t0 = Date.now();
      try {
        await Promise.race([t.fn(),
          lib.sleep(t.timeout || 60000).then(() => { throw new Error('test timed out'); })]);
        passed++;
        console.log(`  ok   ${name} (${Date.now() - t0} ms)`);
      } catch (e) {
        failed++;
        console.log(`  FAIL ${name}: ${e.stack || e}`);
      }
    }
  }
  await lib.cleanup();
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

process.on('SIGTERM', async () => { await lib.cleanup(); process.exit(1); });
main().catch(async (e) => { console.log(e); await lib.cleanup(); process.exit(1); });
