/**
 * Types for the parser modules of fast-xml-parser 4 that xml.ts imports instead of the package entry
 * (which also brings XMLBuilder) and XMLParser.js (which also brings the validator). The package
 * declares types for its entry only; these cover exactly what xml.ts calls, the three calls
 * XMLParser.js itself composes.
 */
declare module 'fast-xml-parser/src/xmlparser/OptionsBuilder.js' {
  import type { X2jOptions } from 'fast-xml-parser';

  /** The options once `buildOptions` has filled in the defaults; only the parser modules read them. */
  export type BuiltOptions = X2jOptions & { readonly __built: never };

  const OptionsBuilder: {
    /** Merges the defaults under `options` and normalises them, as `new XMLParser(options)` does. */
    buildOptions(options: X2jOptions): BuiltOptions;
  };
  export default OptionsBuilder;
}

declare module 'fast-xml-parser/src/xmlparser/OrderedObjParser.js' {
  import type { BuiltOptions } from 'fast-xml-parser/src/xmlparser/OptionsBuilder.js';

  /** The document as the ordered node tree `prettify` takes. */
  export type OrderedTree = { readonly __ordered: never };

  class OrderedObjParser {
    constructor(options: BuiltOptions);
    /** Parses one document; undefined for an empty one. Throws on malformed XML. */
    parseXml(xml: string): OrderedTree | undefined;
  }
  export default OrderedObjParser;
}

declare module 'fast-xml-parser/src/xmlparser/node2json.js' {
  import type { BuiltOptions } from 'fast-xml-parser/src/xmlparser/OptionsBuilder.js';
  import type { OrderedTree } from 'fast-xml-parser/src/xmlparser/OrderedObjParser.js';

  const node2json: {
    /** Converts the ordered tree to plain objects, the shape `XMLParser#parse` returns. */
    prettify(tree: OrderedTree, options: BuiltOptions): unknown;
  };
  export default node2json;
}
