/**
 * CORS configurations in and out: the PutBucketCors XML body (`CORSConfiguration` / `CORSRule`), the
 * JSON form ossutil's `put-bucket-cors --cors-configuration` takes (for `--cors-rules file.json`),
 * and the GetBucketCors answer. Checks are OSS's: 1–10 rules, each with at least one AllowedOrigin
 * and AllowedMethod; methods GET/PUT/DELETE/POST/HEAD only; at most one `*` per origin and per
 * allowed header; no `*` in an ExposeHeader; MaxAgeSeconds a whole number.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { CorsConfiguration, CorsRule } from './cors.js';
import { errors, type OssError } from './errors.js';
import { escapeXml } from './xml.js';

/** OSS keeps at most this many rules per bucket. */
export const maxCorsRules = 10;
/** Largest PutBucketCors body OSS accepts (16 KB). */
export const maxCorsBodyBytes = 16 * 1024;

const allowedMethods = new Set(['GET', 'PUT', 'DELETE', 'POST', 'HEAD']);
const ruleElements = ['AllowedOrigin', 'AllowedMethod', 'AllowedHeader', 'ExposeHeader', 'MaxAgeSeconds'] as const;
type RuleElement = (typeof ruleElements)[number];

/** A rule before checking: every element as the list of its text values. */
type RawRule = Partial<Record<RuleElement, string[]>>;
type RawConfiguration = { readonly rules: readonly RawRule[]; readonly responseVary: readonly string[] };

const malformed = (): OssError => errors.malformedXml();

function stars(value: string): number {
  return value.split('*').length - 1;
}

/** Value checks (InvalidArgument), shared by parsed bodies and rules given to `createOssServer`. */
export function checkCorsConfiguration(config: CorsConfiguration): CorsConfiguration {
  if (config.rules.length === 0) throw malformed();
  if (config.rules.length > maxCorsRules) throw errors.corsRuleBeyondLimit();
  for (const rule of config.rules) {
    if (rule.allowedOrigins.length === 0 || rule.allowedMethods.length === 0) throw malformed();
    for (const origin of rule.allowedOrigins) {
      if (origin === '' || stars(origin) > 1) throw errors.invalidArgument('An AllowedOrigin may hold at most one "*".', 'AllowedOrigin', origin, '0034-00000009');
    }
    for (const method of rule.allowedMethods) {
      if (!allowedMethods.has(method)) throw errors.invalidArgument('AllowedMethod must be GET, PUT, DELETE, POST or HEAD.', 'AllowedMethod', method, '0034-00000011');
    }
    for (const header of rule.allowedHeaders) {
      if (stars(header) > 1) throw errors.invalidArgument('An AllowedHeader may hold at most one "*".', 'AllowedHeader', header);
    }
    for (const header of rule.exposeHeaders) {
      if (header === '' || header.includes('*')) throw errors.invalidArgument('An ExposeHeader may not hold "*": list each header.', 'ExposeHeader', header, '0034-00000013');
    }
    const age = rule.maxAgeSeconds;
    if (age !== undefined && (!Number.isSafeInteger(age) || age < 0)) throw errors.invalidArgument('MaxAgeSeconds must be a whole number of seconds.', 'MaxAgeSeconds', String(age));
  }
  return config;
}

function fromRaw(raw: RawConfiguration): CorsConfiguration {
  if (raw.rules.length > maxCorsRules) throw errors.corsRuleBeyondLimit();
  if (raw.responseVary.length > 1) throw malformed();
  const vary = raw.responseVary[0];
  if (vary !== undefined && vary !== 'true' && vary !== 'false') throw errors.invalidArgument('ResponseVary must be true or false.', 'ResponseVary', vary);
  const rules = raw.rules.map((rule): CorsRule => {
    const ages = rule.MaxAgeSeconds ?? [];
    if (ages.length > 1) throw malformed();
    const age = ages[0];
    if (age !== undefined && !/^\d{1,15}$/.test(age)) throw errors.invalidArgument('MaxAgeSeconds must be a whole number of seconds.', 'MaxAgeSeconds', age);
    return {
      allowedOrigins: rule.AllowedOrigin ?? [],
      allowedMethods: rule.AllowedMethod ?? [],
      allowedHeaders: rule.AllowedHeader ?? [],
      exposeHeaders: rule.ExposeHeader ?? [],
      maxAgeSeconds: age === undefined ? undefined : Number(age),
    };
  });
  return checkCorsConfiguration({ rules, responseVary: vary === 'true' });
}

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  isArray: (_name, jpath) => jpath === 'CORSConfiguration.CORSRule' || jpath === 'CORSConfiguration.ResponseVary' ||
    ruleElements.some((element) => jpath === `CORSConfiguration.CORSRule.${element}`),
});

/** A rule element's values must be text; anything else (nested elements) is not the schema. */
function texts(values: unknown): string[] {
  if (!Array.isArray(values)) throw malformed();
  return values.map((value) => {
    if (typeof value !== 'string') throw malformed();
    return value;
  });
}

/** Parses a PutBucketCors body; not the documented shape is MalformedXML. */
export function parseCorsXml(body: string): CorsConfiguration {
  // A rule list needs no document type: DTDs only bring entity expansion and external entities.
  if (/<!DOCTYPE|<!ENTITY/i.test(body) || XMLValidator.validate(body) !== true) throw malformed();
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(body) as Record<string, unknown>;
  } catch {
    throw malformed();
  }
  const root = doc['CORSConfiguration'];
  if (root === null || typeof root !== 'object' || Array.isArray(root)) throw malformed();
  const { CORSRule: rules = [], ResponseVary: vary = [], ...unknown } = root as Record<string, unknown>;
  if (Object.keys(unknown).length > 0 || !Array.isArray(rules)) throw malformed();
  return fromRaw({
    responseVary: texts(vary),
    rules: rules.map((rule: unknown): RawRule => {
      if (rule === null || typeof rule !== 'object') throw malformed();
      const raw: RawRule = {};
      for (const [name, values] of Object.entries(rule)) {
        if (!(ruleElements as readonly string[]).includes(name)) throw malformed();
        raw[name as RuleElement] = texts(values);
      }
      return raw;
    }),
  });
}

/** A JSON value as a list of strings (ossutil accepts a single value or an array; numbers for MaxAgeSeconds). */
function jsonTexts(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((item) => {
    if (typeof item === 'string') return item;
    if (typeof item === 'number' || typeof item === 'boolean') return String(item);
    throw malformed();
  });
}

/** Parses ossutil's JSON form: `{"CORSRule": [{"AllowedOrigin": [...], ...}], "ResponseVary": false}`. */
export function parseCorsJson(text: string): CorsConfiguration {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw malformed();
  }
  if (doc !== null && typeof doc === 'object' && 'CORSConfiguration' in doc) doc = (doc as Record<string, unknown>)['CORSConfiguration'];
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw malformed();
  const { CORSRule: rules = [], ResponseVary: vary, ...unknown } = doc as Record<string, unknown>;
  if (Object.keys(unknown).length > 0) throw malformed();
  return fromRaw({
    responseVary: vary === undefined ? [] : jsonTexts(vary),
    rules: (Array.isArray(rules) ? rules : [rules]).map((rule: unknown): RawRule => {
      if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) throw malformed();
      const raw: RawRule = {};
      for (const [name, values] of Object.entries(rule)) {
        if (!(ruleElements as readonly string[]).includes(name)) throw malformed();
        raw[name as RuleElement] = jsonTexts(values);
      }
      return raw;
    }),
  });
}

/** A `--cors-rules` file: the PutBucketCors XML, or ossutil's JSON form. */
export function parseCorsFile(text: string): CorsConfiguration {
  return text.trimStart().startsWith('<') ? parseCorsXml(text) : parseCorsJson(text);
}

/** The GetBucketCors document: the rules as stored (elements a rule lacks are left out), then ResponseVary. */
export function renderCorsXml(config: CorsConfiguration): string {
  const list = (name: string, values: readonly string[]) => values.map((value) => `<${name}>${escapeXml(value)}</${name}>`).join('');
  const rules = config.rules.map((rule) => '<CORSRule>' +
    list('AllowedOrigin', rule.allowedOrigins) + list('AllowedMethod', rule.allowedMethods) +
    list('AllowedHeader', rule.allowedHeaders) + list('ExposeHeader', rule.exposeHeaders) +
    (rule.maxAgeSeconds === undefined ? '' : `<MaxAgeSeconds>${rule.maxAgeSeconds}</MaxAgeSeconds>`) +
    '</CORSRule>').join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<CORSConfiguration>${rules}<ResponseVary>${config.responseVary}</ResponseVary></CORSConfiguration>`;
}
