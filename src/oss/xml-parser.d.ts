/**
 * Types for the parser-only module of fast-xml-parser 4 (xml.ts imports it to leave XMLBuilder out
 * of browser bundles). The package declares types for its entry only; this module's default export
 * is the same `XMLParser` class the entry re-exports.
 */
declare module 'fast-xml-parser/src/xmlparser/XMLParser.js' {
  import type { XMLParser } from 'fast-xml-parser';

  const Parser: typeof XMLParser;
  export default Parser;
}
