// Generic NACK (RFC 4585 6.2.1) answered from the gateway's send history,
// under real loss: storegw and Chromium run in a network namespace made
// here, where iptables drops 5% of the UDP leaving the gateway's media
// ports (loopback inside that namespace; nothing reaches the host's) once
// video flows (a lossy DTLS handshake would only make set-up flaky).
// The control run has media.nack_history = 0.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { startGateway, stopGateway, OUTDIR, assert, waitFor, sleep } = require('./lib');

const NS = `sgnack${process.pid}`;
const PMIN = 20000; const PMAX = 20039;   // below Chromium's ephemeral ports
const LOSS = 0.05;
const SECONDS = 15;
const IPT = fs.existsSync('/usr/sbin/iptables-legacy') ? 'iptables-legacy' : 'iptables';

function sh(...argv) {
  return execFileSync(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}
const inNs = (...argv) => sh('ip', 'netns', 'exec', NS, ...argv);

function nsUp() {
  sh('ip', 'netns', 'add', NS);
  try {
    inNs('ip', 'link', 'set', 'lo', 'up');
    inNs(IPT, '-L', 'OUTPUT', '-n');
  } catch (e) {
    nsDown();
    throw e;
  }
}

function nsDown() {
  try { sh('ip', 'netns', 'del', NS); } catch (e) { /* not there */ }
}

function lossStart() {
  inNs(IPT, '-A', 'OUTPUT', '-p', 'udp', '--sport', `${PMIN}:${PMAX}`,
    '-m', 'statistic', '--mode', 'random', '--probability', String(LOSS), '-j', 'DROP');
}

// packets the loss rule dropped; the rule goes
function lossStop() {
  const out = inNs(IPT, '-L', 'OUTPUT', '-v', '-n', '-x');
  inNs(IPT, '-F', 'OUTPUT');
  const m = /^\s*(\d+)\s+\d+\s+DROP/m.exec(out);
  return m ? Number(m[1]) : 0;
}

async function launchInNs() {
  const { chromium } = require('playwright-core');
  const wrapper = path.join(OUTDIR, 'chromium-in-netns.sh');
  fs.writeFileSync(wrapper, '#!/bin/sh\n' +
    `exec ip netns exec ${NS} ${process.env.CHROMIUM || '/usr/bin/chromium'} "$@"\n`,
  { mode: 0o755 });
  return chromium.launch({
    executablePath: wrapper,
    headless: true,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic',
      '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
      '--allow-loopback-in-peer-connection',
      '--autoplay-policy=no-user-gesture-required'],
  });
}

// One echo call for SECONDS under loss; the browser's and the gateway's figures.
async function run(browser, label, history) {
  const gw = await startGateway(`nack-${label}`, {
    media: { nack_history: history },
    webrtc: { port_min: PMIN, port_max: PMAX },
  }, { wrap: ['ip', 'netns', 'exec', NS] });
  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    page.on('pageerror', (e) => console.log('  page error:', e.message));
    await page.goto(`${gw.url}/`);
    await page.addScriptTag({ path: path.join(__dirname, 'page.js') });
    await page.evaluate(async () => {
      window.c1 = await sg.open(`ws://${location.host}/api/v1/ws`);
      await sg.call(window.c1, 'n1', 'echo');
      await sg.next(window.c1, (m) => m.type === 'connected', 20000);
    });
    await waitFor(() => page.evaluate(async () =>
      (await sg.stats('n1')).video.framesDecoded > 0), 20000, 'first video frame');
    lossStart();
    await sleep(SECONDS * 1000);
    const br = await page.evaluate(async () => {
      const r = {};
      (await sg.calls.n1.pc.getStats()).forEach((s) => {
        if (s.type !== 'inbound-rtp' || s.kind !== 'video') return;
        Object.assign(r, { received: s.packetsReceived, lost: s.packetsLost,
          nack: s.nackCount, pli: s.pliCount, freezes: s.freezeCount,
          freezeS: s.totalFreezesDuration, frames: s.framesDecoded,
          rtxRx: s.retransmittedPacketsReceived });
      });
      return r;
    });
    const drops = lossStop();
    const adm = await page.evaluate(async () =>
      (await (await fetch('/api/v1/admin/calls')).json()).calls[0]);
    // totals: the ended call's counters reach /metrics
    await page.evaluate(() => sg.hangup(window.c1, 'n1'));
    const metrics = await waitFor(() => page.evaluate(async () => {
      const t = await (await fetch('/metrics')).text();
      const m = {};
      t.split('\n').forEach((l) => {
        const mm = /^storegw_(\w+) (\d+)$/.exec(l);
        if (mm) m[mm[1]] = Number(mm[2]);
      });
      return m.calls_active === 0 ? m : null;
    }), 5000, 'call ended');
    const lossPct = (100 * br.lost) / (br.received + br.lost);
    console.log(`    ${label} (nack_history ${history}): ${drops} packets dropped ` +
      `by netns in ${SECONDS} s; browser video: ${br.received} received, ` +
      `${br.lost} lost (${lossPct.toFixed(2)}%), ${br.nack} NACKs sent, ` +
      `${br.pli} PLI, ${br.freezes} freezes (${br.freezeS} s), ${br.frames} frames` +
      `${br.rtxRx !== undefined ? `, ${br.rtxRx} rtx received` : ''}; ` +
      `gateway: nack_rx ${adm.nack_rx}, rtx_sent ${adm.rtx_sent}, ` +
      `rtx_miss ${adm.rtx_miss}, rtx_limited ${adm.rtx_limited}`);
    return { br, adm, drops, lossPct, metrics, log: gw.log() };
  } finally {
    lossStop();
    await ctx.close();
    const r = await stopGateway(gw);
    assert(r.code === 0, `storegw exit code 0 on SIGTERM (got ${r.code}/${r.sig})`);
  }
}

async function nackUnderLoss() {
  nsDown();
  nsUp();
  let browser = null;
  try {
    browser = await launchInNs();
    const on = await run(browser, 'on', 128);
    const off = await run(browser, 'off', 0);

    for (const r of [on, off]) {
      assert(r.drops > 50, `the netns dropped packets (${r.drops})`);
      assert(r.br.nack > 0, `Chromium sent NACKs (${r.br.nack})`);
      assert(r.adm.nack_rx > 0, `the gateway counted NACKs (${r.adm.nack_rx})`);
    }
    // the control: NACKs unanswered, the loss stays
    assert(off.adm.rtx_sent === 0, `no re-sends with nack_history 0 (${off.adm.rtx_sent})`);
    assert(off.adm.rtx_miss > 0, `misses counted with nack_history 0 (${off.adm.rtx_miss})`);
    assert(off.lossPct > 2, `loss seen by the browser without re-sends (${off.lossPct}%)`);
    // with the history: re-sent, and the browser's loss falls
    assert(on.adm.rtx_sent > 0, `packets re-sent (${on.adm.rtx_sent})`);
    assert(on.lossPct < off.lossPct / 3,
      `loss with re-sends ${on.lossPct.toFixed(2)}% < a third of ${off.lossPct.toFixed(2)}%`);
    // Chromium counts a freeze only once a frame ends it: a picture stuck
    // to the end of the run shows no freeze at all, so frames decide
    assert(on.br.frames > 2 * off.br.frames,
      `more than twice the frames with re-sends (${on.br.frames} vs ${off.br.frames} ` +
      `frames; ${on.br.freezeS} vs ${off.br.freezeS} s of counted freezes)`);
    assert(on.br.pli <= off.br.pli, `no more PLI with re-sends (${on.br.pli} vs ${off.br.pli})`);
    assert(/nack history on m-line \d+: 128 packets/.test(on.log), 'history allocated (log)');
    assert(!/nack history on m-line/.test(off.log), 'no history when off');
    assert(on.metrics.rtx_sent_total >= on.adm.rtx_sent &&
      on.metrics.nack_rx_total >= on.adm.nack_rx, '/metrics totals include the call');
    assert(off.metrics.rtx_sent_total === 0, '/metrics rtx_sent_total 0 when off');
  } finally {
    if (browser) await browser.close().catch(() => {});
    nsDown();
  }
}

module.exports = [
  { name: 'nack_under_loss', fn: nackUnderLoss, timeout: 120000 },
];
