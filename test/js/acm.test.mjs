// End-to-end test of OpenACM with the AWS SDK for JavaScript v3: request,
// describe, list with paging, get, tag and delete.
//
// Usage: OPENACM_ENDPOINT=http://127.0.0.1:4566 node --test acm.test.mjs
// The server must run in auto validation mode with a short delay.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ACMClient,
  AddTagsToCertificateCommand,
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  GetCertificateCommand,
  ListTagsForCertificateCommand,
  RemoveTagsFromCertificateCommand,
  RequestCertificateCommand,
  ResourceNotFoundException,
  paginateListCertificates,
} from "@aws-sdk/client-acm";

const endpoint = process.env.OPENACM_ENDPOINT;
if (!endpoint) {
  throw new Error("set OPENACM_ENDPOINT to the server's URL, such as http://127.0.0.1:4566");
}

const client = new ACMClient({
  endpoint,
  region: "ap-southeast-2",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
});

// waitForStatus polls DescribeCertificate every 100 ms for up to 30 s.
async function waitForStatus(arn, status) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { Certificate } = await client.send(new DescribeCertificateCommand({ CertificateArn: arn }));
    if (Certificate.Status === status) {
      return Certificate;
    }
    if (Date.now() > deadline) {
      throw new Error(`certificate ${arn} is ${Certificate.Status} after 30 s, want ${status}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test("certificate life with the JS SDK", async () => {
  const requested = await client.send(
    new RequestCertificateCommand({
      DomainName: "js.example.com",
      SubjectAlternativeNames: ["js.example.com", "www.js.example.com"],
      ValidationMethod: "DNS",
      Tags: [{ Key: "sdk", Value: "js" }],
    }),
  );
  const arn = requested.CertificateArn;
  assert.match(arn, /^arn:aws:acm:ap-southeast-2:000000000000:certificate\/[0-9a-f-]{36}$/);

  const { Certificate: pending } = await client.send(new DescribeCertificateCommand({ CertificateArn: arn }));
  assert.equal(pending.Type, "AMAZON_ISSUED");
  assert.equal(pending.DomainName, "js.example.com");
  assert.ok(pending.CreatedAt instanceof Date, "CreatedAt is parsed as a Date");
  assert.equal(pending.DomainValidationOptions.length, 2);
  assert.equal(pending.DomainValidationOptions[0].ResourceRecord.Type, "CNAME");

  const issued = await waitForStatus(arn, "ISSUED");
  assert.ok(issued.NotAfter > issued.NotBefore, "NotAfter is after NotBefore");

  const pem = await client.send(new GetCertificateCommand({ CertificateArn: arn }));
  assert.match(pem.Certificate, /^-----BEGIN CERTIFICATE-----\n/);
  assert.match(pem.CertificateChain, /-----BEGIN CERTIFICATE-----/);

  await client.send(new AddTagsToCertificateCommand({ CertificateArn: arn, Tags: [{ Key: "env", Value: "ci" }] }));
  await client.send(new RemoveTagsFromCertificateCommand({ CertificateArn: arn, Tags: [{ Key: "sdk" }] }));
  const { Tags } = await client.send(new ListTagsForCertificateCommand({ CertificateArn: arn }));
  assert.deepEqual(Tags, [{ Key: "env", Value: "ci" }]);

  await client.send(new DeleteCertificateCommand({ CertificateArn: arn }));
  await assert.rejects(
    client.send(new DescribeCertificateCommand({ CertificateArn: arn })),
    (err) => err instanceof ResourceNotFoundException && err.$metadata.httpStatusCode === 400,
  );
});

test("endpoint from AWS_ENDPOINT_URL_ACM with the JS SDK", async () => {
  // The unused address 127.0.0.1:9 as the general endpoint shows that the
  // service-specific variable wins.
  const saved = { all: process.env.AWS_ENDPOINT_URL, acm: process.env.AWS_ENDPOINT_URL_ACM };
  process.env.AWS_ENDPOINT_URL = "http://127.0.0.1:9";
  process.env.AWS_ENDPOINT_URL_ACM = endpoint;
  try {
    const fromEnv = new ACMClient({
      region: "ap-southeast-2",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    const { CertificateArn } = await fromEnv.send(new RequestCertificateCommand({ DomainName: "env.js.example.com" }));
    await fromEnv.send(new DeleteCertificateCommand({ CertificateArn }));
  } finally {
    for (const [key, name] of [["all", "AWS_ENDPOINT_URL"], ["acm", "AWS_ENDPOINT_URL_ACM"]]) {
      if (saved[key] === undefined) {
        delete process.env[name];
      } else {
        process.env[name] = saved[key];
      }
    }
  }
});

test("list with paging with the JS SDK", async () => {
  const arns = [];
  for (const name of ["page1.js.example.com", "page2.js.example.com", "page3.js.example.com"]) {
    const out = await client.send(new RequestCertificateCommand({ DomainName: name, ValidationMethod: "DNS" }));
    arns.push(out.CertificateArn);
  }

  const seen = [];
  let pages = 0;
  for await (const page of paginateListCertificates({ client, pageSize: 1 }, { CertificateStatuses: ["PENDING_VALIDATION", "ISSUED"] })) {
    pages += 1;
    assert.ok(page.CertificateSummaryList.length <= 1, "a page holds at most MaxItems summaries");
    seen.push(...page.CertificateSummaryList.map((summary) => summary.CertificateArn));
  }
  for (const arn of arns) {
    assert.ok(seen.includes(arn), `${arn} listed`);
  }
  assert.equal(new Set(seen).size, seen.length, "no certificate is listed twice");
  assert.ok(pages >= 3, `listed in ${pages} pages, want at least 3`);

  for (const arn of arns) {
    await client.send(new DeleteCertificateCommand({ CertificateArn: arn }));
  }
});
