#!/usr/bin/env node
// The Learner Credential Wallet's side of a VC-API claim, on the reference JavaScript libraries,
// for credkit's wallet tests (issue 18). What LCW does (digitalcredentials/learner-credential-
// wallet): a did:key holder with an Ed25519VerificationKey2020 key signs an empty presentation
// with Ed25519Signature2020 (vc.signPresentation), proofPurpose authentication.
//
//   node wallet.mjs claim <contexts-dir>   {mode: "vcapi", url, version?}   exchanges.ts
//       POST {} -> verifiablePresentationRequest (DIDAuthentication, challenge, domain); sign over
//       both; POST {verifiablePresentation} to interact.service[0].serviceEndpoint ?? url; take
//       verifiablePresentation.verifiableCredential[0] (ExchangeCredentials.tsx)
//   node wallet.mjs claim <contexts-dir>   {mode: "direct", link, version?}   credentialRequest.ts
//       the lcw.app/request.html link: sign its challenge (no domain, present.ts), POST the bare
//       VP to vc_request_url; the answer is a VC or a VP (extractCredentialsFrom)
//
// Then the received credential is verified with vc.verifyCredential (every proof of the set, the
// Bitstring Status List entry fetched from the 127.0.0.1 service). Prints one JSON object:
// {holder, credential, verified, error, proofs}. Network: http(s)://127.0.0.1 only.

import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {gunzipSync} from 'node:zlib';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import * as rdfc from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {Ed25519Signature2020} from '@digitalbazaar/ed25519-signature-2020';
import {Ed25519VerificationKey2020} from
  '@digitalbazaar/ed25519-verification-key-2020';
import {MULTIKEY_V1, didKeyDocument, loadContexts} from './offline.mjs';


function loopback(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return ['http:', 'https:'].includes(parsed.protocol) && parsed.hostname === '127.0.0.1';
}

async function postJson(url, body) {
  if(!loopback(url)) {
    throw new Error(`refusing to contact ${url}: 127.0.0.1 only`);
  }
  const response = await fetch(url, {
    method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)
  });
  const answer = await response.json();
  if(!response.ok) {
    throw new Error(`POST ${url}: HTTP ${response.status} ${JSON.stringify(answer)}`);
  }
  return answer;
}

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
    if(loopback(url)) { // the status list the service publishes
      const response = await fetch(url);
      if(!response.ok) {
        throw new Error(`GET ${url}: HTTP ${response.status}`);
      }
      return {contextUrl: null, documentUrl: url, document: await response.json()};
    }
    throw new Error(`offline document loader refuses to load "${url}"`);
  };
}

function verifySuites() {
  return [new DataIntegrityProof({cryptosuite: rdfc.cryptosuite}), new Ed25519Signature2020()];
}

function issuerId(credential) {
  const issuer = credential?.issuer;
  return typeof issuer === 'object' && issuer !== null ? issuer.id : issuer;
}

// VC Bitstring Status List 1.0 §3.2: fetch the list, verify it, same issuer and purpose, the bit
async function checkStatus({credential, documentLoader}) {
  try {
    for(const entry of [credential.credentialStatus].flat()) {
      const {statusListIndex, statusListCredential, statusPurpose} = entry;
      const {document: list} = await documentLoader(statusListCredential);
      const listResult = await vc.verifyCredential({
        credential: list, suite: verifySuites(), documentLoader
      });
      if(!listResult.verified || issuerId(list) !== issuerId(credential) ||
        ![list.credentialSubject?.statusPurpose].flat().includes(statusPurpose)) {
        throw new Error('the status list does not verify or does not match');
      }
      const bytes = gunzipSync(
        Buffer.from(list.credentialSubject.encodedList.slice(1), 'base64url'));
      const index = Number(statusListIndex);
      if((bytes[index >> 3] >> (7 - (index & 7))) & 1) {
        return {verified: false, error: new Error(`status ${statusPurpose} is set`)};
      }
    }
    return {verified: true};
  } catch(error) {
    return {verified: false, error};
  }
}

async function didAuth(key, challenge, domain, documentLoader, version) {
  const suite = new Ed25519Signature2020({key});
  // version 1.0: the VC 1.1 context, which wallets on older vc libraries still send
  const presentation = vc.createPresentation({holder: key.controller, version: version ?? 2.0});
  return vc.signPresentation({presentation, suite, challenge, domain, documentLoader});
}

async function claim(input, documentLoader) {
  // LCW's holder: a fresh Ed25519VerificationKey2020 under its own did:key
  const generated = await Ed25519VerificationKey2020.generate();
  const fingerprint = generated.fingerprint();
  const controller = `did:key:${fingerprint}`;
  const key = await Ed25519VerificationKey2020.from({
    ...generated.export({publicKey: true, privateKey: true}),
    id: `${controller}#${fingerprint}`, controller
  });
  let credential;
  if(input.mode === 'direct') {
    const params = new URL(input.link).searchParams;
    if(params.get('auth_type') !== 'bearer') {
      throw new Error(`Unsupported auth_type value: "${params.get('auth_type')}"`);
    }
    const vp = await didAuth(key, params.get('challenge'), undefined, documentLoader, input.version);
    const answer = await postJson(params.get('vc_request_url'), vp);
    credential = [answer.type].flat().includes('VerifiablePresentation') ?
      [answer.verifiableCredential].flat()[0] : answer;
  } else {
    const first = await postJson(input.url, {});
    const request = first.verifiablePresentationRequest;
    const kinds = [request.query].flat().map(q => q.type);
    if(!kinds.includes('DIDAuthentication')) {
      throw new Error(`not a DIDAuth request: ${kinds}`);
    }
    const vp = await didAuth(
      key, request.challenge, request.domain, documentLoader, input.version);
    const next = request.interact?.service?.[0]?.serviceEndpoint ?? input.url;
    const answer = await postJson(next, {verifiablePresentation: vp});
    credential = answer.verifiablePresentation?.verifiableCredential?.[0];
  }
  if(!credential) {
    throw new Error('no credential received');
  }
  const result = await vc.verifyCredential({
    credential: structuredClone(credential), suite: verifySuites(), documentLoader, checkStatus
  });
  const errors = [];
  const walk = e => {
    if(e) {
      [e].flat().forEach(x => {
        errors.push(x.message ?? String(x)); walk(x.errors);
      });
    }
  };
  walk(result.error);
  return {
    holder: controller,
    credential,
    verified: result.verified === true,
    error: errors.length ? errors.join('; ') : null,
    proofs: (result.results ?? []).map(r => ({
      verified: r.verified, type: r.proof?.type, cryptosuite: r.proof?.cryptosuite ?? null
    }))
  };
}

async function main() {
  const [command, contextsDir] = process.argv.slice(2);
  const input = JSON.parse(readFileSync(0, 'utf8') || '{}');
  const documentLoader = makeLoader(loadContexts(contextsDir));
  if(command !== 'claim') {
    throw new Error(`unknown command "${command}"`);
  }
  return claim(input, documentLoader);
}

main().then(out => {
  process.stdout.write(JSON.stringify(out) + '\n');
}).catch(err => {
  process.stdout.write(JSON.stringify({error: err?.message ?? String(err), stack: err?.stack}));
  process.exitCode = 2;
});
