#!/usr/bin/env node
// Waits until the S3 server at S3_ENDPOINT answers a signed request for S3_BUCKET, and with
// --create-bucket creates the bucket when it is missing. Used by deploy/local/s3proxy.sh.
//
//   S3_ENDPOINT                 e.g. http://127.0.0.1:9000
//   S3_BUCKET                   default vigil-archive
//   S3_ACCESS_KEY_ID_FILE       files holding the credentials (made by s3proxy.sh)
//   S3_SECRET_ACCESS_KEY_FILE
//   S3_READY_TIMEOUT            seconds to wait (default 60)
'use strict';
const fs = require('node:fs');

// The SDK warns once per process that its 2027 releases need Node 22; this pinned release runs on
// Node 20, and a readiness probe is not the place to say so on every start.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { S3Client, HeadBucketCommand, CreateBucketCommand } = require('@aws-sdk/client-s3');

const log = (msg) => process.stderr.write(`[s3proxy] ${msg}\n`);

function readSecret(file, name) {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    log(`no ${name}: ${file} (${err.code || err.message}); run deploy/local/s3proxy.sh start`);
    process.exit(2);
  }
}

async function main() {
  const endpoint = process.env.S3_ENDPOINT || 'http://127.0.0.1:9000';
  const bucket = process.env.S3_BUCKET || 'vigil-archive';
  const timeoutMs = Number(process.env.S3_READY_TIMEOUT || 60) * 1000;
  const create = process.argv.includes('--create-bucket');
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
    credentials: {
      accessKeyId: readSecret(process.env.S3_ACCESS_KEY_ID_FILE, 'access key id'),
      secretAccessKey: readSecret(process.env.S3_SECRET_ACCESS_KEY_FILE, 'secret access key'),
    },
  });
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      await client.send(new HeadBucketCommand({ Bucket: bucket }));
      return;
    } catch (err) {
      const status = err.$metadata && err.$metadata.httpStatusCode;
      if (status === 404 && create) {
        await client.send(new CreateBucketCommand({ Bucket: bucket }));
        log(`created bucket ${bucket}`);
        return;
      }
      if (status === 404) {
        log(`${endpoint} answers but bucket ${bucket} does not exist`);
        process.exit(1);
      }
      if (status === 403) {
        log(`${endpoint} refuses the credentials (403): is another server on that port?`);
        process.exit(1);
      }
      last = err.code || err.name || String(err);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  log(`${endpoint} not ready after ${timeoutMs / 1000} s (${last})`);
  process.exit(1);
}

main().catch((err) => {
  log(`failed: ${err.message}`);
  process.exit(1);
});
