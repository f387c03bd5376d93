// IMS registration with Digest-AKAv1-MD5 (RFC 3310, TS 24.229 5.1.1.5):
// the UA (tests/sip/uadrive) against tests/sip/akareg, a registrar that
// runs Milenage on its side. Loopback only; every process ended by PID.
'use strict';
const path = require('path');
const lib = require('./lib');
const { freePort, sleep, assert, waitFor } = lib;
const { BUILDDIR, start, stop } = require('./peers');

const UADRIVE = path.join(BUILDDIR, 'tests/sip/uadrive');
const AKAREG = path.join(BUILDDIR, 'tests/sip/akareg');

// TS 35.208 test set 1 (K, OPc)
const K = '465b5ce8b199b49faa5f0a2ee238a6bc';
const OPC = 'cd63cb71954a9f4e48a5994e37a02baf';
const SQN = 1000;
const IMPU = 'sip:store1@ims.test';
const IMPI = 'store1@ims.test';

async function akareg(name, extra = []) {
  const port = await freePort();
  const r = start(name, AKAREG, ['--listen', `127.0.0.1:${port}`, '--impi', IMPI,
    '--impu', IMPU, '--k', K, '--opc', OPC, '--sqn', String(SQN)].concat(extra));
  await r.wait(/^READY/, 5000, 'akareg ready');
  r.uri = `sip:127.0.0.1:${port}`;
  return r;
}

async function uadrive(name, pcscf, extra = []) {
  const port = await freePort();
  const u = start(name, UADRIVE, ['--bind', `127.0.0.1:${port}`, '--pcscf', pcscf]
    .concat(extra));
  await u.wait(/^READY/, 5000, 'uadrive ready');
  return u;
}

async function quit(u) {
  if (u.proc.exitCode !== null) return;
  u.send('quit');
  const r = await Promise.race([u.exited, sleep(6000).then(() => 'timeout')]);
  if (r === 'timeout') { u.proc.kill('SIGKILL'); throw new Error(`${u.name} did not quit`); }
}

const count = (p, re) => p.lines().filter((l) => re.test(l)).length;

// Keys and RES never reach the UA's output (STYLE.md "Logging").
function noSecrets(u) {
  const text = u.out + u.err;
  assert(!text.toLowerCase().includes(K) && !text.toLowerCase().includes(OPC),
    'K/OPc not logged');
  assert(!/response=/.test(text), 'no digest response logged');
}

// (a) challenged, answered with RES as the password, 200; each refresh is
// challenged again with a fresh nonce and answered again
async function register() {
  const r = await akareg('akareg-ok');
  const u = await uadrive('ua-aka-ok', r.uri, ['--reg-expires', '6', '--verbose']);
  try {
    u.send(`register-aka 0 ${IMPU} ${IMPI} ${K} ${OPC} ${SQN}`);
    const ok = await u.wait(/^REG idx=0 state=OK/, 5000, 'REG OK');
    assert(/code=200/.test(ok) && ok.includes(`assoc=<${IMPU}>`), `REG OK with P-Associated-URI (${ok})`);
    assert(r.has(/^CHALLENGE sqn=1001$/), 'challenged with SQN 1001');
    const authz = r.has(/^AUTHZ /);
    assert(/username=store1@ims\.test realm=ims\.test uri=sip:ims\.test algorithm=AKAv1-MD5 qop=auth nc=00000001 cnonce=1 response=1 opaque=akareg1 auts=0/.test(authz),
      `Authorization per RFC 3310 3.2 (${authz})`);
    assert(r.has(/^AUTH OK$/), 'registrar verified the response');
    // refresh (expires 6 s): a new challenge, answered with the next SQN
    await r.wait(/^CHALLENGE sqn=1002$/, 8000, 'refresh challenged');
    await waitFor(() => count(r, /^AUTH OK$/) >= 2, 5000, `refresh authenticated\n${r.out}`);
    assert(!u.has(/state=FAILED/), `no failure on refresh:\n${u.out}`);
    // TS 24.229 5.1.1.4.1: the refresh carries the last nonce and
    // response; a used nonce is stale here, so it is challenged anew
    const authz2 = r.lines().filter((l) => /^AUTHZ /.test(l));
    assert(authz2.length >= 3 && /opaque=akareg1 /.test(authz2[1]) &&
      /opaque=akareg2 /.test(authz2[2]), `refresh, then the new answer:\n${r.out}`);
    assert(!r.has(/^AUTH BAD/), `no bad answer:\n${r.out}`);
    // RFC 3261 10.2 / TS 24.229 5.1.1.5.1: one Call-ID, CSeq going up
    const regs = r.lines().filter((l) => /^REGISTER /.test(l))
      .map((l) => /call-id=(\S+) cseq=(\d+)/.exec(l));
    assert(regs.every((m) => m && m[1] === regs[0][1]), `one Call-ID:\n${r.out}`);
    assert(regs.every((m, i) => !i || Number(m[2]) > Number(regs[i - 1][2])),
      `CSeq increases:\n${r.out}`);
    await quit(u);
    noSecrets(u);
  } finally {
    await stop(u);
    await stop(r);
  }
}

// (b) AUTN with a wrong MAC: the network is not authentic, no answer
async function badMac() {
  const r = await akareg('akareg-badmac', ['--bad-mac']);
  const u = await uadrive('ua-aka-badmac', r.uri);
  try {
    u.send(`register-aka 0 ${IMPU} ${IMPI} ${K} ${OPC} ${SQN}`);
    const f = await u.wait(/^REG idx=0 state=FAILED/, 5000, 'REG FAILED');
    assert(/code=401 .*reason=aka-network-auth-failed/.test(f), `aka reason (${f})`);
    await sleep(500);
    assert(r.has(/^CHALLENGE sqn=1001 bad-mac$/), 'challenged');
    assert(!r.has(/^AUTHZ /), `the UA sent no response:\n${r.out}`);
    assert(count(r, /^REGISTER /) === 1, `one REGISTER only:\n${r.out}`);
    await quit(u);
    noSecrets(u);
  } finally {
    await stop(u);
    await stop(r);
  }
}

// (c) the registrar's SQN is behind: AUTS, resync, fresh challenge, 200
async function resync() {
  const r = await akareg('akareg-resync', ['--sqn-behind']);
  const u = await uadrive('ua-aka-resync', r.uri);
  try {
    u.send(`register-aka 0 ${IMPU} ${IMPI} ${K} ${OPC} ${SQN}`);
    await u.wait(/^REG idx=0 state=OK code=200/, 5000, 'REG OK after resync');
    const authz = r.lines().filter((l) => /^AUTHZ /.test(l));
    assert(authz.length === 2 && /auts=1/.test(authz[0]) && /auts=0/.test(authz[1]),
      `AUTS first, then the response:\n${r.out}`);
    assert(r.has(/^CHALLENGE sqn=969$/), 'first challenge with a stale SQN');
    assert(r.has(new RegExp(`^RESYNC sqn=${SQN}$`)), `registrar took SQN_MS from AUTS:\n${r.out}`);
    assert(r.has(new RegExp(`^CHALLENGE sqn=${SQN + 1}$`)), 'fresh challenge after resync');
    assert(r.has(/^AUTH OK$/), 'authenticated after resync');
    await quit(u);
    noSecrets(u);
  } finally {
    await stop(u);
    await stop(r);
  }
}

// (d) wrong K at the UA: its XMAC-A cannot match the network's MAC-A, so
// to the UA this is indistinguishable from a forged network (TS 33.102
// 6.3.3): it must refuse to answer, as in (b)
async function wrongK() {
  const r = await akareg('akareg-wrongk');
  const u = await uadrive('ua-aka-wrongk', r.uri);
  const badK = `${K.slice(0, 31)}${K[31] === '0' ? '1' : '0'}`;
  try {
    u.send(`register-aka 0 ${IMPU} ${IMPI} ${badK} ${OPC} ${SQN}`);
    const f = await u.wait(/^REG idx=0 state=FAILED/, 5000, 'REG FAILED');
    assert(/reason=aka-network-auth-failed/.test(f), `aka reason (${f})`);
    await sleep(300);
    assert(!r.has(/^AUTHZ /), `no answer with a wrong K:\n${r.out}`);
    await quit(u);
  } finally {
    await stop(u);
    await stop(r);
  }
}

// (e) a response the registrar cannot verify (another private identity
// with the subscriber's keys): AUTH BAD, 403, REG FAILED
async function badResponse() {
  const r = await akareg('akareg-bad');
  const u = await uadrive('ua-aka-bad', r.uri);
  try {
    u.send(`register-aka 0 ${IMPU} other@ims.test ${K} ${OPC} ${SQN}`);
    const f = await u.wait(/^REG idx=0 state=FAILED/, 5000, 'REG FAILED');
    assert(/code=403/.test(f), `403 ends the registration (${f})`);
    assert(r.has(/^AUTHZ username=other@ims\.test .*response=1/), 'the UA answered');
    assert(r.has(/^AUTH BAD$/), `registrar refused:\n${r.out}`);
    assert(!r.has(/^AUTH OK$/), 'not accepted');
    await quit(u);
  } finally {
    await stop(u);
    await stop(r);
  }
}

// The gateway itself: a store configured with ims_auth "aka" registers
// through the AKA registrar, and its keys stay out of the gateway's log.
async function gatewayAka() {
  const r = await akareg('akareg-gw');
  let gw;
  try {
    gw = await lib.startGateway('gw-aka', {
      sip: { enabled: true, bind: `127.0.0.1:${await freePort()}`, pcscf: [r.uri] },
      stores: [{ id: 'demo', secret: 'demo-store-signing-secret-0123456789abcdef',
        ims_impu: IMPU, ims_impi: IMPI, ims_auth: 'aka', ims_k: K, ims_opc: OPC,
        ims_sqn: SQN }],
    });
    await waitFor(() => /store demo: IMS registration OK/.test(gw.log()), 10000,
      `AKA registration of the store:\n${gw.log()}`);
    await r.wait(/AUTH OK/, 2000, 'akareg verified RES');
    const text = gw.log().toLowerCase();
    assert(!text.includes(K) && !text.includes(OPC), 'keys not logged by the gateway');
    const m = (await lib.httpGet(`${gw.url}/metrics`)).text;
    assert(/storegw_ims_registered\{store="demo"\} 1/.test(m), 'registered in /metrics');
  } finally {
    if (gw) await lib.stopGateway(gw);
    await stop(r);
  }
}

module.exports = [
  { name: 'gateway_store', fn: gatewayAka },
  { name: 'register', fn: register, timeout: 30000 },
  { name: 'badmac', fn: badMac, timeout: 20000 },
  { name: 'resync', fn: resync, timeout: 20000 },
  { name: 'wrongk', fn: wrongK, timeout: 20000 },
  { name: 'badresponse', fn: badResponse, timeout: 20000 },
];
