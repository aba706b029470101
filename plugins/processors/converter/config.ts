import { z } from 'zod';

const keys = (what: string) => z.array(z.string()).default([]).describe(what);

/** Config of the converter processor. */
export const converterConfig = z.strictObject({
  tags: z
    .strictObject({
      measurement: keys('Tags whose value becomes the measurement name (the tag is removed).'),
      string: keys('Tags moved to string fields.'),
      integer: keys('Tags converted to integer fields.'),
      unsigned: keys('Tags converted to unsigned fields.'),
      boolean: keys('Tags converted to boolean fields.'),
      float: keys('Tags converted to float fields.'),
    })
    .optional()
    .describe('[processors.converter.tags]: tag keys (globs) per target; a tag that fails to convert stays.'),
  fields: z
    .strictObject({
      measurement: keys('Fields whose value becomes the measurement name (the field is removed).'),
      tag: keys('Fields moved to tags.'),
      float: keys('Fields converted to float.'),
      integer: keys('Fields converted to integer (floats are truncated).'),
      unsigned: keys('Fields converted to unsigned (floats are truncated).'),
      string: keys('Fields converted to string.'),
      boolean: keys('Fields converted to boolean.'),
    })
    .optional()
    .describe(
      '[processors.converter.fields]: field keys (globs) per target; a field that fails to convert stays.',
    ),
});

/** The parsed config of the converter processor. */
export type ConverterConfig = z.output<typeof converterConfig>;
