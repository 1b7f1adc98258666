// What every credkit Node harness shares, offline: credkit's shipped JSON-LD contexts (each
// checked against its sha256 pin, so the two sides never sign over different context bytes) and
// the did:key document of an Ed25519 did:key (a pure function of the DID, per the did:key method
// spec), in the Multikey shape.
import {createHash} from 'node:crypto';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';

import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';

export const DID_V1 = 'https://www.w3.org/ns/did/v1';
export const MULTIKEY_V1 = 'https://w3id.org/security/multikey/v1';

export function loadContexts(dir) {
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  const contexts = new Map();
  for(const [url, entry] of Object.entries(index.contexts)) {
    const bytes = readFileSync(join(dir, 'files', entry.file));
    const digest = createHash('sha256').update(bytes).digest('hex');
    if(digest !== entry.sha256) {
      throw new Error(`context ${url} (${entry.file}) fails its sha256 pin: ${digest}`);
    }
    contexts.set(url, JSON.parse(bytes.toString('utf8')));
  }
  return contexts;
}

export async function didKeyDocument(did) {
  const fingerprint = did.slice('did:key:'.length);
  if(!fingerprint.startsWith('z6Mk')) {
    throw new Error(`only Ed25519 did:key is supported: ${did}`);
  }
  const vmId = `${did}#${fingerprint}`;
  // `from` validates the multibase header and length, so a malformed did:key fails here
  const key = await Ed25519Multikey.from({
    '@context': MULTIKEY_V1, type: 'Multikey', id: vmId, controller: did,
    publicKeyMultibase: fingerprint
  });
  const vm = await key.export({publicKey: true, includeContext: false});
  return {
    '@context': [DID_V1, MULTIKEY_V1],
    id: did,
    verificationMethod: [vm],
    authentication: [vmId],
    assertionMethod: [vmId],
    capabilityDelegation: [vmId],
    capabilityInvocation: [vmId]
  };
}
