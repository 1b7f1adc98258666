#!/usr/bin/env node
// RDF driver for credkit's N-Quads and typed-literal interoperability tests.
//
// What the reference Data Integrity suites feed into their hashes, over JSON on stdin:
//
//   node canon.mjs canonize <contexts-dir>  {document} or {documents: [...]}
//       -> {nquads} / {results: [{nquads} | {error}]}
//       jsonld.canonize exactly as @digitalbazaar/eddsa-rdfc-2022-cryptosuite calls it
//       (RDFC-1.0, safe mode, base null, rdfDirection i18n-datatype)
//   node canon.mjs toRDF    <contexts-dir>  same shapes: jsonld.toRDF in safe mode, serialized
//       with rdf-canonize's N-Quads writer (blank nodes not relabelled)
//   node canon.mjs nquads   <contexts-dir>  {nquads}: rdf-canonize RDFC-1.0 of an N-Quads text
//
// The document loader serves only credkit's shipped contexts (sha256-checked, as ref.mjs does).

import {readFileSync} from 'node:fs';

import jsonld from 'jsonld';
import * as rdfCanonize from 'rdf-canonize';
import {loadContexts} from './offline.mjs';

function makeLoader(dir) {
  const contexts = loadContexts(dir);
  return async url => {
    if(contexts.has(url)) {
      return {contextUrl: null, documentUrl: url, document: structuredClone(contexts.get(url))};
    }
    throw new Error(`offline document loader refuses to load "${url}"`);
  };
}

// the options of @digitalbazaar/eddsa-rdfc-2022-cryptosuite lib/canonize.js
function options(documentLoader) {
  return {
    algorithm: 'RDFC-1.0', format: 'application/n-quads', base: null, safe: true,
    rdfDirection: 'i18n-datatype', documentLoader
  };
}

async function canonize(document, documentLoader) {
  return {nquads: await jsonld.canonize(document, options(documentLoader))};
}

async function toRdf(document, documentLoader) {
  const opts = {...options(documentLoader), produceGeneralizedRdf: false};
  delete opts.format;
  delete opts.algorithm;
  const dataset = await jsonld.toRDF(document, opts);
  return {nquads: rdfCanonize.NQuads.serialize(dataset)};
}

async function each(input, op, documentLoader) {
  if(!Array.isArray(input.documents)) {
    return op(input.document, documentLoader);
  }
  const results = [];
  for(const document of input.documents) {
    try {
      results.push(await op(document, documentLoader));
    } catch(err) {
      results.push({error: describe(err).error});
    }
  }
  return {results};
}

async function main() {
  const [command, contextsDir] = process.argv.slice(2);
  if(!command || !contextsDir) {
    throw new Error('usage: node canon.mjs canonize|toRDF|nquads <contexts-dir> < input.json');
  }
  const documentLoader = makeLoader(contextsDir);
  const input = JSON.parse(readFileSync(0, 'utf8') || '{}');
  switch(command) {
    case 'canonize': return each(input, canonize, documentLoader);
    case 'toRDF': return each(input, toRdf, documentLoader);
    case 'nquads':
      return {nquads: await rdfCanonize.canonize(
        rdfCanonize.NQuads.parse(input.nquads), {algorithm: 'RDFC-1.0'})};
    default: throw new Error(`unknown command "${command}"`);
  }
}

function describe(err) {
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
