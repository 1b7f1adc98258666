#!/usr/bin/env node
// Reference implementation driver for credkit's interoperability tests.
//
// Runs Digital Bazaar's @digitalbazaar/vc + Data Integrity cryptosuites (the libraries most
// deployed wallets and issuers use) over JSON on stdin, writing JSON on stdout:
//
//   node ref.mjs sign   <contexts-dir>   {credential, key, cryptosuite, created, proofPurpose?}
//   node ref.mjs verify <contexts-dir>   {credential, mode?: "credential"|"proof", now?}
//                                        or {credentials: [...], ...} -> {results: [...]}
//   node ref.mjs bench  <contexts-dir>   {credential, key, cryptosuite, created, iterations,
//                                         repeats?}
//   node ref.mjs info   <contexts-dir>   {}
//
// `key` is a Multikey document ({publicKeyMultibase, secretKeyMultibase, id?, controller?}).
// `contexts-dir` is credkit's shipped context folder (src/credkit/contexts); its index.json maps
// context URL -> file. The document loader is offline: it serves exactly those files, resolves
// did:key URLs from the key material in the URL itself, and refuses everything else, so the test
// never touches the network and the JS side sees byte-identical contexts to credkit.
//
// Errors are reported as {"error": "...", "stack": "..."} with exit status 2 (bad input / library exception);
// a verification that merely fails is a normal result {"verified": false, ...} with status 0.

import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {performance} from 'node:perf_hooks';
import {createRequire} from 'node:module';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as rdfc from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as jcs from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import {Ed25519Signature2020} from '@digitalbazaar/ed25519-signature-2020';
import jsigs from 'jsonld-signatures';
import {MULTIKEY_V1, didKeyDocument, loadContexts} from './offline.mjs';

const SUITES = ['eddsa-rdfc-2022', 'eddsa-jcs-2022', 'Ed25519Signature2020'];

// ---------------------------------------------------------------------------------------------
// offline document loader

function makeLoader(contexts) {
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
    throw new Error(`offline document loader refuses to load "${url}"`);
  };
}

// ---------------------------------------------------------------------------------------------
// suites

async function keyPairFrom(key) {
  if(!key || typeof key.secretKeyMultibase !== 'string' ||
    typeof key.publicKeyMultibase !== 'string') {
    throw new Error('"key" needs publicKeyMultibase and secretKeyMultibase');
  }
  const controller = key.controller ?? `did:key:${key.publicKeyMultibase}`;
  let id = key.id ?? `${controller}#${key.publicKeyMultibase}`;
  if(id.startsWith('#')) {
    id = controller + id;
  }
  return Ed25519Multikey.from({
    '@context': MULTIKEY_V1, type: 'Multikey', id, controller,
    publicKeyMultibase: key.publicKeyMultibase,
    secretKeyMultibase: key.secretKeyMultibase
  });
}

function signSuite(cryptosuite, keyPair, created) {
  const date = created ?? null;
  const signer = keyPair.signer();
  switch(cryptosuite) {
    case 'eddsa-rdfc-2022':
      return new DataIntegrityProof({signer, date, cryptosuite: rdfc.cryptosuite});
    case 'eddsa-jcs-2022':
      return new DataIntegrityProof({
        signer, date, cryptosuite: jcs.createSignCryptosuite()
      });
    case 'Ed25519Signature2020':
      return new Ed25519Signature2020({signer, date});
    default:
      throw new Error(`unknown cryptosuite "${cryptosuite}" (know: ${SUITES.join(', ')})`);
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
// operations

async function sign(input, documentLoader) {
  const keyPair = await keyPairFrom(input.key);
  const suite = signSuite(input.cryptosuite, keyPair, input.created);
  const credential = structuredClone(input.credential);
  const purpose = input.proofPurpose && input.proofPurpose !== 'assertionMethod' ?
    new jsigs.purposes.ControllerProofPurpose({term: input.proofPurpose}) : undefined;
  if(purpose || input.mode === 'proof') {
    // plain Data Integrity signing, without the VC data model checks
    return jsigs.sign(credential, {
      suite, documentLoader,
      purpose: purpose ?? new jsigs.purposes.AssertionProofPurpose()
    });
  }
  return vc.issue({credential, suite, documentLoader});
}

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
  for(const r of result.results ?? []) {
    if(!r.verified) {
      walk(r.error);
    }
  }
  return errors.length ? [...new Set(errors)].join('; ') : null;
}

async function verify(input, documentLoader) {
  if(Array.isArray(input.credentials)) {
    // batch form: one Node start-up for many documents
    const results = [];
    for(const credential of input.credentials) {
      results.push(await verify({...input, credentials: undefined, credential}, documentLoader));
    }
    return {results};
  }
  const credential = structuredClone(input.credential);
  const suite = verifySuites();
  let result;
  if(input.mode === 'proof') {
    // Data Integrity only: assertionMethod purpose, no issuer binding or VC date checks
    result = await jsigs.verify(credential, {
      suite, documentLoader, purpose: new jsigs.purposes.AssertionProofPurpose()
    });
  } else {
    // the full VC check: issuer == verification method controller, validFrom/validUntil
    result = await vc.verifyCredential({
      credential, suite, documentLoader, now: input.now ? new Date(input.now) : undefined
    });
  }
  return {
    verified: result.verified === true,
    error: result.verified ? null : errorText(result),
    proofs: (result.results ?? []).map(r => ({verified: r.verified, type: r.proof?.type,
      cryptosuite: r.proof?.cryptosuite ?? null}))
  };
}

async function bench(input, documentLoader) {
  // `iterations` sequential operations per timing, `repeats` timings, best (lowest) reported:
  // the minimum is the figure least disturbed by GC pauses and other processes
  const iterations = Math.max(1, input.iterations ?? 100);
  const repeats = Math.max(1, input.repeats ?? 3);
  const keyPair = await keyPairFrom(input.key);
  const suite = signSuite(input.cryptosuite, keyPair, input.created);
  const verifyWith = verifySuites();
  const issue = () => vc.issue({
    credential: structuredClone(input.credential), suite, documentLoader
  });
  const check = async credential => {
    const r = await vc.verifyCredential({
      credential: structuredClone(credential), suite: verifyWith, documentLoader
    });
    if(!r.verified) {
      throw new Error(`bench: reference failed to verify its own credential: ${errorText(r)}`);
    }
  };
  // warm-up: JIT, context cache, key import
  let signed;
  for(let i = 0; i < 20; ++i) {
    signed = await issue();
    await check(signed);
  }
  const time = async op => {
    let best = Infinity;
    for(let r = 0; r < repeats; ++r) {
      const t0 = performance.now();
      for(let i = 0; i < iterations; ++i) {
        await op();
      }
      best = Math.min(best, (performance.now() - t0) / iterations);
    }
    return best;
  };
  const signMs = await time(issue);
  const verifyMs = await time(() => check(signed));
  return {cryptosuite: input.cryptosuite, iterations, repeats, signMs, verifyMs};
}

function info() {
  const require = createRequire(import.meta.url);
  const names = [
    '@digitalbazaar/vc', '@digitalbazaar/data-integrity',
    '@digitalbazaar/eddsa-rdfc-2022-cryptosuite', '@digitalbazaar/eddsa-jcs-2022-cryptosuite',
    '@digitalbazaar/ed25519-multikey', '@digitalbazaar/ed25519-signature-2020',
    '@digitalbazaar/ed25519-verification-key-2020', 'jsonld', 'jsonld-signatures', 'rdf-canonize',
    'canonicalize', '@noble/ed25519'
  ];
  const versions = {};
  for(const name of names) {
    // package.json of ESM-only packages is not always exported; read it from disk instead
    try {
      const main = require.resolve(name);
      const root = main.slice(0, main.lastIndexOf(`node_modules/${name}/`) +
        `node_modules/${name}/`.length);
      versions[name] = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
    } catch {
      versions[name] = null;
    }
  }
  return {node: process.version, versions};
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const [command, contextsDir] = process.argv.slice(2);
  if(!command || !contextsDir) {
    throw new Error('usage: node ref.mjs sign|verify|bench|info <contexts-dir> < input.json');
  }
  const documentLoader = makeLoader(loadContexts(contextsDir));
  const text = command === 'info' ? '{}' : readFileSync(0, 'utf8');
  const input = JSON.parse(text || '{}');
  switch(command) {
    case 'sign': return sign(input, documentLoader);
    case 'verify': return verify(input, documentLoader);
    case 'bench': return bench(input, documentLoader);
    case 'info': return info();
    default: throw new Error(`unknown command "${command}"`);
  }
}

function describe(err) {
  // jsonld's safe-mode errors carry the offending event in `details`; keep it, it names the term
  const details = err?.details?.event ?? err?.details;
  let text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  if(details) {
    text += ` ${JSON.stringify(details, (k, v) => (k === 'level' ? undefined : v))}`;
  }
  return {error: text, stack: err?.stack ?? null};
}

main().then(out => {
  process.stdout.write(JSON.stringify(out) + '\n');
}, err => {
  process.stdout.write(JSON.stringify(describe(err)) + '\n');
  process.exitCode = 2;
});
