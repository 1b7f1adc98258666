#!/usr/bin/env node
// A minimal VC-API service on the reference JavaScript libraries (Digital Bazaar's vc-js stack),
// for scripts/w3c-crosscheck: the W3C suites run with credkit as issuer and this as verifier,
// and the other way round.
//
//   node vcapi-ref.mjs --contexts DIR --cert cert.pem --key key.pem [--port N] [--status]
//                      [--dump DIR]   (writes each refused request and answer there)
//
// Prints one JSON line {"base": "https://127.0.0.1:N", "did": "did:key:z6Mk..."} on stdout once
// it listens (127.0.0.1 only). Endpoints:
//
//   POST /credentials/issue       {credential, options: {cryptosuite?}} -> 201 {verifiableCredential}
//                                 (vc.issue; a fresh did:key Ed25519 key per process)
//   POST /credentials/verify      {verifiableCredential, options?} -> 200 {verified: true, ...}
//                                 or 400 {verified: false, errors: [...]} (vc.verifyCredential)
//   POST /presentations/verify    {verifiablePresentation, options: {challenge?, domain?}}
//                                 -> 200 / 400 likewise (vc.verify)
//   GET  /status/1                the signed BitstringStatusListCredential (all bits clear)
//
// With --status every VC 2.0 credential issued without a credentialStatus gets a
// BitstringStatusListEntry (purpose revocation, a fresh index) pointing at /status/1, as the
// status suite needs.
//
// Same libraries and offline document loader as ref.mjs (credkit's bundled contexts, checked
// against their sha256 pins; did:key resolved from the DID itself). One addition: the loader may
// GET https://127.0.0.1 / https://localhost URLs (status lists published by the service under
// test); nothing else is fetched. The status check is written here (the pinned lock has no
// @digitalbazaar/vc-bitstring-status-list): VC Bitstring Status List 1.0 §3.2 "Validate
// Algorithm" — fetch the list, verify it with vc-js, same issuer, same purpose, read the bit.

import {readFileSync, writeFileSync} from 'node:fs';
import {createServer} from 'node:https';
import {get as httpsGet} from 'node:https';
import {join} from 'node:path';
import {gzipSync, gunzipSync} from 'node:zlib';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as rdfc from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as jcs from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import {Ed25519Signature2020} from '@digitalbazaar/ed25519-signature-2020';
import {MULTIKEY_V1, didKeyDocument, loadContexts} from './offline.mjs';

const VC_V2 = 'https://www.w3.org/ns/credentials/v2';
const LIST_BITS = 131072; // §2.1: at least 16 KB
const MAX_BODY = 4 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// arguments

function parseArgs(argv) {
  const args = {port: 0, status: false};
  for(let i = 0; i < argv.length; ++i) {
    const name = argv[i];
    if(name === '--status') {
      args.status = true;
    } else if(['--contexts', '--cert', '--key', '--port', '--dump'].includes(name)) {
      args[name.slice(2)] = argv[++i];
    } else {
      throw new Error(`unknown argument ${name}`);
    }
  }
  for(const need of ['contexts', 'cert', 'key']) {
    if(!args[need]) {
      throw new Error(`--${need} is required`);
    }
  }
  args.port = Number(args.port);
  return args;
}

// ---------------------------------------------------------------------------------------------
// document loader: bundled contexts, did:key, and https GET to the loopback interface only

function fetchLoopback(url) {
  return new Promise((resolve, reject) => {
    const req = httpsGet(url, {
      rejectUnauthorized: false, // self-signed test certificates
      headers: {Accept: 'application/vc+ld+json, application/ld+json, application/json'},
      timeout: 10000
    }, res => {
      const chunks = [];
      let size = 0;
      res.on('data', c => {
        size += c.length;
        if(size > MAX_BODY) {
          req.destroy(new Error(`${url}: response too large`));
        }
        chunks.push(c);
      });
      res.on('end', () => {
        if(res.statusCode !== 200) {
          reject(new Error(`GET ${url}: HTTP ${res.statusCode}`));
          return;
        }
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch(e) {
          reject(new Error(`GET ${url}: not JSON`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timeout`)));
    req.on('error', reject);
  });
}

function makeLoader(contexts, local) {
  return async function documentLoader(url) {
    if(contexts.has(url)) {
      return {contextUrl: null, documentUrl: url, document: structuredClone(contexts.get(url))};
    }
    if(typeof url === 'string' && url.startsWith('did:key:')) {
      const [did, fragment] = url.split('#');
      const doc = await didKeyDocument(did);
      if(fragment === undefined) {
        return {contextUrl: null, documentUrl: url, document: doc};
      }
      const vm = doc.verificationMethod.find(m => m.id === url);
      if(!vm) {
        throw new Error(`did:key fragment does not name its key: ${url}`);
      }
      return {contextUrl: null, documentUrl: url, document: {'@context': MULTIKEY_V1, ...vm}};
    }
    let parsed;
    try {
      parsed = new URL(url);
    } catch {
      parsed = null;
    }
    if(parsed && parsed.protocol === 'https:' &&
      ['127.0.0.1', 'localhost'].includes(parsed.hostname)) {
      const own = local(parsed);
      const document = own ?? await fetchLoopback(url);
      return {contextUrl: null, documentUrl: url, document};
    }
    throw new Error(`offline document loader refuses to load "${url}"`);
  };
}

// ---------------------------------------------------------------------------------------------
// suites

function signSuite(cryptosuite, keyPair) {
  const signer = keyPair.signer();
  switch(cryptosuite ?? 'eddsa-rdfc-2022') {
    case 'eddsa-rdfc-2022':
      return new DataIntegrityProof({signer, cryptosuite: rdfc.cryptosuite});
    case 'eddsa-jcs-2022':
      return new DataIntegrityProof({signer, cryptosuite: jcs.createSignCryptosuite()});
    case 'Ed25519Signature2020':
      return new Ed25519Signature2020({signer});
    default:
      throw new Error(`unknown cryptosuite "${cryptosuite}"`);
  }
}

function verifySuites() {
  return [
    new DataIntegrityProof({cryptosuite: rdfc.cryptosuite}),
    new DataIntegrityProof({cryptosuite: jcs.createVerifyCryptosuite()}),
    new Ed25519Signature2020()
  ];
}

// ---------------------------------------------------------------------------------------------
// Bitstring Status List

function encodeList(bits) {
  // §3.3 Bitstring Generation: GZIP, then multibase base64url without padding ("u" prefix)
  return 'u' + gzipSync(bits).toString('base64url');
}

function bitAt(encodedList, index) {
  if(typeof encodedList !== 'string' || !encodedList.startsWith('u')) {
    throw new Error('encodedList is not a multibase base64url string');
  }
  const bytes = gunzipSync(Buffer.from(encodedList.slice(1), 'base64url'));
  if(bytes.length * 8 < LIST_BITS) {
    throw new Error(`status list shorter than ${LIST_BITS} bits`);
  }
  if(index >= bytes.length * 8) {
    throw new Error(`statusListIndex ${index} is out of range`);
  }
  // §3.4: index 0 is the left-most bit of the first byte
  return (bytes[index >> 3] >> (7 - (index & 7))) & 1;
}

function issuerId(credential) {
  const issuer = credential?.issuer;
  return typeof issuer === 'object' && issuer !== null ? issuer.id : issuer;
}

function makeCheckStatus(suite) {
  return async function checkStatus({credential, documentLoader}) {
    try {
      const entries = [credential.credentialStatus].flat();
      for(const entry of entries) {
        if(entry?.type !== 'BitstringStatusListEntry') {
          throw new Error(`unsupported credentialStatus type ${JSON.stringify(entry?.type)}`);
        }
        const {statusListIndex, statusListCredential, statusPurpose} = entry;
        if(typeof statusListIndex !== 'string' || !/^(0|[1-9][0-9]*)$/.test(statusListIndex)) {
          throw new Error('statusListIndex must be a string of digits');
        }
        if(typeof statusListCredential !== 'string') {
          throw new Error('statusListCredential must be a URL');
        }
        if(typeof statusPurpose !== 'string') {
          throw new Error('statusPurpose must be a string');
        }
        const {document: list} = await documentLoader(statusListCredential);
        const listResult = await vc.verifyCredential({credential: list, suite, documentLoader});
        if(!listResult.verified) {
          throw new Error(`status list credential does not verify: ${errorText(listResult)}`);
        }
        if(![list.type].flat().includes('BitstringStatusListCredential')) {
          throw new Error('status list credential is not a BitstringStatusListCredential');
        }
        if(issuerId(list) !== issuerId(credential)) {
          throw new Error('status list credential has another issuer');
        }
        const subject = list.credentialSubject;
        if(![subject?.statusPurpose].flat().includes(statusPurpose)) {
          throw new Error('status purpose does not match the list');
        }
        if(bitAt(subject.encodedList, Number(statusListIndex)) === 1) {
          return {verified: false, error: new Error(`status ${statusPurpose} is set`)};
        }
      }
      return {verified: true};
    } catch(error) {
      return {verified: false, error};
    }
  };
}

// ---------------------------------------------------------------------------------------------
// results

function errorText(result) {
  const errors = [];
  const walk = e => {
    if(!e) {
      return;
    }
    if(Array.isArray(e)) {
      e.forEach(walk);
      return;
    }
    errors.push(e.message ?? String(e));
    if(e.errors) {
      walk(e.errors);
    }
  };
  walk(result.error);
  for(const r of [...(result.results ?? []), ...(result.credentialResults ?? []),
    ...(result.presentationResult ? [result.presentationResult] : [])]) {
    if(!r.verified) {
      walk(r.error);
      for(const rr of r.results ?? []) {
        if(!rr.verified) {
          walk(rr.error);
        }
      }
    }
  }
  if(result.statusResult && !result.statusResult.verified) {
    walk(result.statusResult.error);
  }
  return errors.length ? [...new Set(errors)].join('; ') : 'not verified';
}

// ---------------------------------------------------------------------------------------------
// the service

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const contexts = loadContexts(args.contexts);
  const keyPair = await Ed25519Multikey.generate();
  const did = `did:key:${keyPair.publicKeyMultibase}`;
  keyPair.controller = did;
  keyPair.id = `${did}#${keyPair.publicKeyMultibase}`;
  let base = '';
  let statusList = null; // the signed list, made once the port is known
  let refused = 0;
  let nextIndex = 1 + Math.floor(Math.random() * 1000);

  const local = url => (base && url.origin === base && url.pathname === '/status/1' ?
    structuredClone(statusList) : null);
  const documentLoader = makeLoader(contexts, local);
  const suite = verifySuites();
  const checkStatus = makeCheckStatus(suite);

  async function issue(body) {
    const {credential, options = {}} = body ?? {};
    if(!credential || typeof credential !== 'object' || Array.isArray(credential)) {
      return [400, {errors: ['"credential" must be an object']}];
    }
    const doc = structuredClone(credential);
    const v2 = [doc['@context']].flat()[0] === VC_V2;
    if(args.status && v2 && doc.credentialStatus === undefined) {
      const index = String(nextIndex++);
      doc.credentialStatus = {
        id: `${base}/status/1#${index}`,
        type: 'BitstringStatusListEntry',
        statusPurpose: 'revocation',
        statusListIndex: index,
        statusListCredential: `${base}/status/1`
      };
    }
    const verifiableCredential = await vc.issue({
      credential: doc, suite: signSuite(options.cryptosuite, keyPair), documentLoader
    });
    return [201, {verifiableCredential}];
  }

  async function verifyCredential(body) {
    const credential = body?.verifiableCredential;
    if(!credential || typeof credential !== 'object' || Array.isArray(credential)) {
      return [400, {verified: false, errors: ['"verifiableCredential" must be an object']}];
    }
    const result = await vc.verifyCredential({
      credential: structuredClone(credential), suite, documentLoader, checkStatus
    });
    return result.verified ?
      [200, {verified: true, checks: ['proof'], warnings: [], errors: []}] :
      [400, {verified: false, checks: [], warnings: [], errors: [errorText(result)]}];
  }

  async function verifyPresentation(body) {
    const presentation = body?.verifiablePresentation;
    if(!presentation || typeof presentation !== 'object' || Array.isArray(presentation)) {
      return [400, {verified: false, errors: ['"verifiablePresentation" must be an object']}];
    }
    const options = body.options ?? {};
    const signed = presentation.proof !== undefined;
    const result = await vc.verify({
      presentation: structuredClone(presentation), suite, documentLoader, checkStatus,
      unsignedPresentation: !signed,
      ...(signed ? {challenge: options.challenge ?? null, domain: options.domain} : {})
    });
    return result.verified ?
      [200, {verified: true, checks: ['proof'], warnings: [], errors: []}] :
      [400, {verified: false, checks: [], warnings: [], errors: [errorText(result)]}];
  }

  const routes = {
    'POST /credentials/issue': issue,
    'POST /credentials/verify': verifyCredential,
    'POST /presentations/verify': verifyPresentation
  };

  const server = createServer({
    cert: readFileSync(args.cert), key: readFileSync(args.key)
  }, (req, res) => {
    let path = '';
    try {
      path = new URL(req.url, 'https://127.0.0.1').pathname;
    } catch {
      // a malformed request target: answered 404 below
    }
    let body; // the parsed request, for --dump
    const send = (status, payload, type = 'application/json') => {
      if(status >= 400) {
        // one line per refusal, for the cross-check's diagnosis
        process.stderr.write(`${req.method} ${req.url} ${status} ` +
          `${JSON.stringify(payload.errors ?? payload)}\n`);
        if(args.dump) {
          // --dump DIR: keep each refused request, to tell a reference limitation from a
          // suite expectation afterwards
          writeFileSync(join(args.dump, `refused-${++refused}.json`),
            JSON.stringify({path, status, payload, body}, null, 2));
        }
      }
      const bytes = Buffer.from(JSON.stringify(payload));
      res.writeHead(status, {'Content-Type': type, 'Content-Length': bytes.length});
      res.end(bytes);
    };
    if(req.method === 'GET' && path === '/status/1') {
      send(200, statusList, 'application/vc+ld+json');
      return;
    }
    if(req.method === 'GET' && path === '/healthz') {
      send(200, {ok: true});
      return;
    }
    const handler = routes[`${req.method} ${path}`];
    if(!handler) {
      send(404, {errors: ['not found']});
      return;
    }
    const chunks = [];
    let size = 0;
    req.on('data', c => {
      size += c.length;
      if(size <= MAX_BODY) {
        chunks.push(c);
      }
    });
    req.on('end', async () => {
      try {
        if(size > MAX_BODY) {
          send(413, {errors: ['body too large']});
          return;
        }
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          send(400, {errors: ['body is not JSON']});
          return;
        }
        const [status, payload] = await handler(body);
        send(status, payload);
      } catch(e) {
        // a library exception on bad input: a client error, with its message
        send(400, {verified: false, errors: [`${e.name ?? 'Error'}: ${e.message ?? e}`]});
      }
    });
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(args.port, '127.0.0.1', resolve);
  });
  base = `https://127.0.0.1:${server.address().port}`;
  statusList = await vc.issue({
    credential: {
      '@context': [VC_V2],
      id: `${base}/status/1`,
      type: ['VerifiableCredential', 'BitstringStatusListCredential'],
      issuer: did,
      credentialSubject: {
        id: `${base}/status/1#list`,
        type: 'BitstringStatusList',
        statusPurpose: 'revocation',
        encodedList: encodeList(Buffer.alloc(LIST_BITS / 8))
      }
    },
    suite: signSuite('eddsa-rdfc-2022', keyPair),
    documentLoader
  });
  process.stdout.write(JSON.stringify({base, did}) + '\n');
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch(err => {
  process.stderr.write(`vcapi-ref: ${err?.stack ?? err}\n`);
  process.exit(2);
});
