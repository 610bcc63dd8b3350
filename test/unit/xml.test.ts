import { describe, expect, it } from 'vitest';
import { OssResponseError } from '../../src/index.js';
import {
  buildCompleteBody, MalformedXmlError, parseComplete, parseCopyPart, parseError, parseInitiate, parseListParts, parseListUploads, readXml,
} from '../../src/oss/xml.js';

// Bodies as documented in docs/protocol.md §2 (OSS docs and SDK fixtures).
describe('XML codec', () => {
  it('keeps UploadId a string even when it looks numeric', () => {
    const xml = '<?xml version="1.0" encoding="UTF-8"?>\n<InitiateMultipartUploadResult><Bucket>oss-example</Bucket><Key>multipart.data</Key><UploadId>0004B9894A22E5B1888A1E29F823</UploadId></InitiateMultipartUploadResult>';
    expect(parseInitiate(xml)).toEqual({ bucket: 'oss-example', key: 'multipart.data', uploadId: '0004B9894A22E5B1888A1E29F823' });
    expect(parseInitiate(xml.replace('0004B9894A22E5B1888A1E29F823', '12345678901234567890123456789012')).uploadId).toBe('12345678901234567890123456789012');
  });

  it('decodes url-encoded keys', () => {
    const xml = '<InitiateMultipartUploadResult><EncodingType>url</EncodingType><Bucket>b</Bucket><Key>a%20b%2Bc%2F%E4%BD%A0</Key><UploadId>X</UploadId></InitiateMultipartUploadResult>';
    expect(parseInitiate(xml).key).toBe('a b+c/你');
  });

  it('parses ListParts: one Part is still a list, numbers converted, ETag verbatim', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<ListPartsResult>
  <EncodingType>url</EncodingType>
  <Bucket>oss-bucket</Bucket>
  <Key>demo%2Fgp-%0C%0A%0B</Key>
  <UploadId>D4E111D4EA834F3ABCE4877B2779</UploadId>
  <StorageClass>Standard</StorageClass>
  <PartNumberMarker>0</PartNumberMarker>
  <NextPartNumberMarker>1</NextPartNumberMarker>
  <MaxParts>1000</MaxParts>
  <IsTruncated>false</IsTruncated>
  <Part>
    <PartNumber>1</PartNumber>
    <LastModified>2023-11-22T05:42:34.000Z</LastModified>
    <ETag>"CF3F46D505093571E916FCDD4967"</ETag>
    <HashCrc64ecma>12066172435287683848</HashCrc64ecma>
    <Size>96316</Size>
  </Part>
</ListPartsResult>`;
    const page = parseListParts(xml);
    expect(page.key).toBe('demo/gp-\f\n\v');
    expect(page.isTruncated).toBe(false);
    expect(page.nextPartNumberMarker).toBe(1);
    expect(page.parts).toEqual([{ partNumber: 1, etag: '"CF3F46D505093571E916FCDD4967"', size: 96316, lastModified: '2023-11-22T05:42:34.000Z', crc64: '12066172435287683848' }]);
  });

  it('parses an empty, truncated and an old-style ListParts (no HashCrc64ecma)', () => {
    expect(parseListParts('<ListPartsResult><IsTruncated>true</IsTruncated><NextPartNumberMarker>1000</NextPartNumberMarker></ListPartsResult>'))
      .toMatchObject({ isTruncated: true, nextPartNumberMarker: 1000, parts: [] });
    const old = parseListParts('<ListPartsResult><Part><PartNumber>2</PartNumber><ETag>"A"</ETag><Size>5</Size></Part><Part><PartNumber>3</PartNumber><ETag>"B"</ETag><Size>6</Size></Part></ListPartsResult>');
    expect(old.parts.map((p) => [p.partNumber, p.crc64])).toEqual([[2, undefined], [3, undefined]]);
  });

  it('parses a full page of 1,000 parts whose ETags are written &quot;…&quot; (2,000 entities)', () => {
    const parts = Array.from({ length: 1000 }, (_, i) =>
      `<Part><PartNumber>${i + 1}</PartNumber><ETag>&quot;${'AB'.repeat(16)}&quot;</ETag><Size>${i + 1}</Size></Part>`).join('');
    const page = parseListParts(`<?xml version="1.0" encoding="UTF-8"?>\n<ListPartsResult>${parts}</ListPartsResult>`);
    expect(page.parts).toHaveLength(1000);
    expect(page.parts[999]).toMatchObject({ partNumber: 1000, etag: `"${'AB'.repeat(16)}"`, size: 1000 });
  });

  it('still refuses a DOCTYPE entity bomb', () => {
    // 100 × a 5,000-character entity: half a megabyte from a few hundred bytes.
    const bomb = `<!DOCTYPE r [<!ENTITY a "${'x'.repeat(5000)}">]><ListPartsResult><Key>${'&a;'.repeat(100)}</Key></ListPartsResult>`;
    expect(() => parseListParts(bomb)).toThrow(MalformedXmlError);
  });

  it('parses ListMultipartUploads with CommonPrefixes', () => {
    const xml = `<ListMultipartUploadsResult><EncodingType>url</EncodingType><Bucket>oss-example</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>
<NextKeyMarker>oss.avi</NextKeyMarker><NextUploadIdMarker>0004B99B8E707874FC2D692FA5D77D3F</NextUploadIdMarker><Delimiter>%2F</Delimiter><Prefix></Prefix>
<MaxUploads>1000</MaxUploads><IsTruncated>true</IsTruncated>
<Upload><Key>multipart.data</Key><UploadId>0004B999EF518A1FE585B0C9360DC4C8</UploadId><Initiated>2012-02-23T04:18:23.000Z</Initiated></Upload>
<CommonPrefixes><Prefix>dir%2F</Prefix></CommonPrefixes></ListMultipartUploadsResult>`;
    expect(parseListUploads(xml)).toEqual({
      bucket: 'oss-example', prefix: '', delimiter: '/', isTruncated: true, nextKeyMarker: 'oss.avi',
      nextUploadIdMarker: '0004B99B8E707874FC2D692FA5D77D3F',
      uploads: [{ key: 'multipart.data', uploadId: '0004B999EF518A1FE585B0C9360DC4C8', initiated: '2012-02-23T04:18:23.000Z' }],
      commonPrefixes: ['dir/'],
    });
  });

  it('parses Complete, CopyPart and Error documents', () => {
    expect(parseComplete('<CompleteMultipartUploadResult><Location>http://x/m</Location><Bucket>b</Bucket><Key>m</Key><ETag>"097DE458AD02B5F89F9D0530231876-2"</ETag></CompleteMultipartUploadResult>'))
      .toEqual({ location: 'http://x/m', bucket: 'b', key: 'm', etag: '"097DE458AD02B5F89F9D0530231876-2"' });
    expect(parseCopyPart('<CopyPartResult><LastModified>2014-07-17T06:27:54.000Z</LastModified><ETag>"5B3C"</ETag></CopyPartResult>'))
      .toEqual({ etag: '"5B3C"', lastModified: '2014-07-17T06:27:54.000Z' });
    expect(parseError('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>gone</Message><RequestId>534B371674E88A4D8906</RequestId><HostId>h</HostId><UploadId>U1</UploadId><EC>0017-00000244</EC></Error>'))
      .toEqual({ Code: 'NoSuchUpload', Message: 'gone', RequestId: '534B371674E88A4D8906', HostId: 'h', UploadId: 'U1', EC: '0017-00000244' });
    expect(parseError('not xml at all <')).toBeUndefined();
    expect(parseError('<Other/>')).toBeUndefined();
  });

  it('readXml: a body that is not the expected document is an OssResponseError with the facts of the answer', async () => {
    const body = `<html><body>Please sign in to the hotel Wi-Fi${' '.repeat(300)}</body></html>`;
    const answer = () => new Response(body, { status: 200, headers: { 'x-oss-request-id': 'R1' } });
    const error = await readXml(answer(), { operation: 'UploadPartCopy', method: 'PUT', partNumber: 3 }, parseCopyPart).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OssResponseError);
    expect(error).toMatchObject({
      name: 'OssResponseError', operation: 'UploadPartCopy', partNumber: 3, status: 200, requestId: 'R1', method: 'PUT',
      bodySnippet: body.slice(0, 256), message: 'UploadPartCopy #3 failed: expected a <CopyPartResult> document from the server (status 200, request id R1)',
    });
    expect((error as Error).cause).toBeInstanceOf(MalformedXmlError);
    const malformed = await readXml(new Response('<ListPartsResult', { status: 200 }), { operation: 'ListParts', method: 'GET' }, parseListParts).catch((e: unknown) => e);
    expect(malformed).toMatchObject({ name: 'OssResponseError', operation: 'ListParts', partNumber: undefined, requestId: undefined, bodySnippet: '<ListPartsResult' });
    expect((malformed as Error).message).toMatch(/^ListParts failed: malformed ListPartsResult XML from the server \(status 200\)$/);
    // A parser's own bugs are not the server's fault: they go through unchanged.
    const bug = new RangeError('bug');
    await expect(readXml(answer(), { operation: 'ListParts', method: 'GET' }, () => { throw bug; })).rejects.toBe(bug);
  });

  it('builds the Complete body with ETags verbatim (quotes kept) and entities escaped', () => {
    const body = buildCompleteBody([{ partNumber: 1, etag: '"3349DC700140D7F86A0784842780C3D5"' }, { partNumber: 5, etag: '"A&B"' }]);
    expect(body).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"3349DC700140D7F86A0784842780C3D5"</ETag></Part><Part><PartNumber>5</PartNumber><ETag>"A&amp;B"</ETag></Part></CompleteMultipartUpload>');
  });
});
