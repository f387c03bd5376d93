// The IMS-facing SIP UA (sip/) against Kamailio as the IMS core and the
// project's sofia-sip peer (tests/sip/sippeer) as the far-end phone.
'use strict';
const path = require('path');
const lib = require('./lib');
const { freePort, sleep, assert, waitFor } = lib;

const { BUILDDIR, start, stop, startKamailio, stopKamailio, sippeer } = require('./peers');

const UADRIVE = path.join(BUILDDIR, 'tests/sip/uadrive');

async function uadrive(name, pcscfs, extra = []) {
  const port = await freePort();
  const args = ['--bind', `127.0.0.1:${port}`];
  for (const p of pcscfs) args.push('--pcscf', p);
  const u = start(name, UADRIVE, args.concat(extra));
  await u.wait(/^READY/, 5000, 'uadrive ready');
  return u;
}

async function quit(u) {
  if (u.proc.exitCode !== null) return;
  u.send('quit');
  const r = await Promise.race([u.exited, sleep(6000).then(() => 'timeout')]);
  if (r === 'timeout') { u.proc.kill('SIGKILL'); throw new Error(`${u.name} did not quit`); }
}

async function registered(u, idx = 0, user = 'store1') {
  u.send(`register ${idx} sip:${user}@ims.test ${user}@ims.test ${user}pw`);
  return u.wait(new RegExp(`^REG idx=${idx} state=OK`), 5000, 'REG OK');
}

// (1) digest MD5 through Kamailio; a wrong password ends FAILED
async function register() {
  const k = await startKamailio('kam-reg');
  const u = await uadrive('ua-reg', [k.uri]);
  try {
    const ok = await registered(u);
    assert(ok.includes(`pcscf=${k.uri}`), `REG names the P-CSCF (${ok})`);
    assert(/assoc=<sip:store1@ims.test>, <tel:\+4930999>/.test(ok),
      `P-Associated-URI delivered raw (${ok})`);
    u.send('register 1 sip:store2@ims.test store2@ims.test wrongpw');
    const bad = await u.wait(/^REG idx=1 state=FAILED/, 5000, 'REG FAILED');
    assert(/code=904/.test(bad), `wrong password: 904 no matching challenge (${bad})`);
    // the Contact carries the MMTel ICSI (TS 24.229 5.1.1.2)
    assert(/REGISTER .*ct=<sip:store1@127\.0\.0\.1:\d+>;.*\+g\.3gpp\.icsi-ref="urn%3Aurn-7%3A3gpp-service\.ims\.icsi\.mmtel"/.test(k.err),
      'REGISTER Contact with the ICSI feature tag');
    await quit(u);
    // un-REGISTER (Expires 0) on shutdown
    await waitFor(() => (k.err.match(/REGISTER sip:ims.test .*ct=.*expires=0|REGISTER sip:ims.test .*ct=\*/g)
      || []).length >= 1 || (k.err.match(/REGISTER sip:ims.test/g) || []).length >= 5,
    3000, 'un-REGISTER on shutdown');
    assert(/^DONE/m.test(u.out), 'uadrive shut down cleanly');
  } finally {
    await stop(u);
    await stopKamailio(k);
  }
}

// (2) the first P-CSCF is dead: register through the second, REG names it
async function failover() {
  const k = await startKamailio('kam-fo');
  const dead = `sip:127.0.0.1:${await freePort()}`;
  const u = await uadrive('ua-fo', [dead, k.uri]);
  try {
    const ok = await registered(u);
    assert(ok.includes(`pcscf=${k.uri}`), `registered via the second P-CSCF (${ok})`);
    assert(u.has(new RegExp(`^REG idx=0 state=TRYING code=0 pcscf=${dead}`)),
      'tried the first P-CSCF first');
    assert(u.has(new RegExp(`^REG idx=0 state=TRYING code=5\\d\\d pcscf=${k.uri} .*reason=failover`)),
      `failover reported:\n${u.out}`);
    await quit(u);
  } finally {
    await stop(u);
    await stopKamailio(k);
  }
}

// (3) a call to a phone registered at Kamailio: reliable 18x PRACKed,
// answer SDP, MESSAGE both ways, our BYE; then the far end hangs up
async function call() {
  const k = await startKamailio('kam-call');
  const u = await uadrive('ua-call', [k.uri], ['--pani', '3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=262010000000001']);
  const p = await sippeer('peer-call', k, 'rep1', ['--ring', '--require-100rel',
    '--answer-after', '300', '--rtp-port', '41234']);
  try {
    await registered(u);
    u.send('invite 1 0 sip:rep1@ims.test');
    await p.wait(/^INVITE$/, 5000, 'INVITE reached the phone');
    const hdr = (re, what) => assert(p.has(re), `${what}:\n${p.out}`);
    hdr(/^HDR P-Preferred-Identity: <sip:store1@ims.test>/, 'P-Preferred-Identity');
    hdr(/^HDR P-Charging-Vector: icid-value=storegw-icid-1/, 'P-Charging-Vector');
    hdr(/^HDR P-Access-Network-Info: 3GPP-E-UTRAN-FDD/, 'P-Access-Network-Info');
    hdr(/^HDR Accept-Contact: \*;\+g\.3gpp\.icsi-ref="urn%3Aurn-7%3A3gpp-service\.ims\.icsi\.mmtel"/, 'Accept-Contact');
    hdr(/^HDR Contact: <sip:store1@127\.0\.0\.1:\d+>;\+g\.3gpp\.icsi-ref=/, 'Contact with ICSI');
    hdr(/^HDR Supported: .*100rel/, 'Supported: 100rel');
    hdr(/^HDR Supported: .*timer/, 'Supported: timer');
    hdr(/^HDR Session-Expires: 1800/, 'Session-Expires');
    hdr(/^HDR Min-SE: 90/, 'Min-SE');
    hdr(/^SDP v=0\|o=storegw .*m=audio 40000 RTP\/AVP 96 0 101/, 'our SDP offer untouched');
    const pr = await u.wait(/^PROGRESS ref=1 code=183/, 5000, '183 progress');
    assert(/sdp=v=0.*m=audio 41234/.test(pr), `early media SDP (${pr})`);
    assert(u.has(/^PROGRESS ref=1 code=180/), '180 progress');
    await p.wait(/^PRACK$/, 5000, 'reliable 18x PRACKed');
    const ans = await u.wait(/^ANSWERED ref=1 code=200/, 5000, 'ANSWERED');
    assert(/sdp=v=0\|o=sippeer.*m=audio 41234 RTP\/AVP 0 101/.test(ans), `answer SDP (${ans})`);
    await p.wait(/^ACK$/, 5000, 'ACK');
    u.send('message 1 hello from the store');
    await p.wait(/^MESSAGE hello from the store$/, 5000, 'MESSAGE to the phone');
    p.send('message hi from the rep');
    const m = await u.wait(/^MESSAGE ref=1/, 5000, 'MESSAGE from the phone');
    assert(/from=.*rep1@ims.test.* text=hi from the rep/.test(m), `MESSAGE event (${m})`);
    // the phone puts us on hold: we answer with our SDP mirrored (recvonly)
    p.send('hold');
    const ro = await u.wait(/^REOFFER ref=1/, 5000, 'REOFFER');
    assert(/a=sendonly/.test(ro), `REOFFER carries the new remote SDP (${ro})`);
    await p.wait(/^REINVITE-RESULT 200$/, 5000, 're-INVITE answered 200');
    // and we hold the phone (sg_sip_call_reinvite): ANSWERED again
    u.send('hold 1');
    await p.wait(/^REINVITE$/, 5000, 'our re-INVITE at the phone');
    const a2 = await u.wait(/^ANSWERED ref=1 .*a=recvonly/, 5000, 'ANSWERED to our re-INVITE');
    assert(a2, 'hold answered');
    u.send('hangup 1');
    await p.wait(/^BYE$/, 5000, 'BYE at the phone');
    const end = await u.wait(/^ENDED ref=1/, 5000, 'ENDED');
    assert(/code=200 remote=0 .*reason=local-bye/.test(end), `local BYE (${end})`);

    // the far end hangs up; a tel: URI reaches the phone registered as rep1
    u.send('invite 2 0 sip:rep1@ims.test;user=phone');
    await u.wait(/^ANSWERED ref=2/, 5000, 'second call answered');
    await p.wait(/^ACK$/, 5000, 'ACK');
    p.send('bye');
    const end2 = await u.wait(/^ENDED ref=2/, 5000, 'ENDED by the far end');
    assert(/code=200 remote=1 .*reason=remote-bye/.test(end2), `remote BYE (${end2})`);
  } finally {
    await quit(u).catch(() => {});
    await stop(u);
    await stop(p);
    await stopKamailio(k);
  }
}

// (4) busy: 486 ends the call with 486
async function busy() {
  const k = await startKamailio('kam-busy');
  const u = await uadrive('ua-busy', [k.uri]);
  const p = await sippeer('peer-busy', k, 'rep1', ['--reply', '486']);
  try {
    await registered(u);
    u.send('invite 7 0 sip:rep1@ims.test');
    const end = await u.wait(/^ENDED ref=7/, 5000, 'ENDED');
    assert(/code=486 remote=1 reason=Busy Here/.test(end), `486 (${end})`);
    assert(!u.has(/^ANSWERED ref=7/), 'never answered');
    u.send('invite 8 0 sip:nobody@ims.test');
    const nf = await u.wait(/^ENDED ref=8/, 5000, 'ENDED 404');
    assert(/code=404 remote=1/.test(nf), `unknown user: 404 from the core (${nf})`);
  } finally {
    await quit(u).catch(() => {});
    await stop(u);
    await stop(p);
    await stopKamailio(k);
  }
}

// (5) no answer: CANCEL after invite_timeout_s (5 s), ENDED 408
async function noAnswer() {
  const k = await startKamailio('kam-noans');
  const u = await uadrive('ua-noans', [k.uri], ['--invite-timeout', '5']);
  const p = await sippeer('peer-noans', k, 'rep1', ['--reply', 'none', '--ring']);
  try {
    await registered(u);
    const t0 = Date.now();
    u.send('invite 3 0 sip:rep1@ims.test');
    await u.wait(/^PROGRESS ref=3 code=180/, 5000, 'ringing');
    const end = await u.wait(/^ENDED ref=3/, 10000, 'ENDED after the timeout');
    const dt = Date.now() - t0;
    assert(dt >= 4800 && dt < 8000, `CANCEL after ~5 s (${dt} ms)`);
    assert(/code=408 remote=0 reason=no-answer/.test(end), `408 no-answer (${end})`);
    await p.wait(/^CANCEL$/, 3000, 'the phone saw CANCEL');
  } finally {
    await quit(u).catch(() => {});
    await stop(u);
    await stop(p);
    await stopKamailio(k);
  }
}

// (6) session timers (RFC 4028): our Session-Expires is negotiated and the
// refresh happens; with 90 s (the minimum) the refresh comes after ~45 s.
async function sessionTimer() {
  const k = await startKamailio('kam-timer');
  const u = await uadrive('ua-timer', [k.uri], ['--session-expires', '90', '--precondition']);
  const p = await sippeer('peer-timer', k, 'rep1', ['--session-expires', '90']);
  try {
    await registered(u);
    u.send('invite 4 0 sip:rep1@ims.test');
    await p.wait(/^INVITE$/, 5000, 'INVITE');
    assert(p.has(/^HDR Session-Expires: 90/), `Session-Expires: 90\n${p.out}`);
    assert(p.has(/^HDR Supported: .*precondition/), 'Supported: precondition');
    assert(p.has(/^HDR Require: precondition/), 'Require: precondition');
    assert(p.has(/^SDP .*m=audio 40000 .*\|a=curr:qos local sendrecv\|.*a=des:qos mandatory local sendrecv/),
      `RFC 3312 lines in the offer:\n${p.out}`);
    await u.wait(/^ANSWERED ref=4/, 5000, 'answered');
    // one refresh (UPDATE, either side may be the refresher) within 60 s
    await waitFor(() => p.has(/^UPDATE$|^REINVITE$/) || /UPDATE sip:store1/.test(k.err),
      60000, `session refresh\n${p.out}`);
    assert(!u.has(/^ENDED ref=4/), 'the call survives its refresh');
    u.send('hangup 4');
    await u.wait(/^ENDED ref=4 code=200 remote=0/, 5000, 'ENDED');
  } finally {
    await quit(u).catch(() => {});
    await stop(u);
    await stop(p);
    await stopKamailio(k);
  }
}

module.exports = [
  { name: 'register', fn: register, timeout: 30000 },
  { name: 'failover', fn: failover, timeout: 30000 },
  { name: 'call', fn: call, timeout: 40000 },
  { name: 'busy', fn: busy, timeout: 30000 },
  { name: 'noanswer', fn: noAnswer, timeout: 40000 },
  { name: 'timer', fn: sessionTimer, timeout: 90000 },
];
