import { z } from 'zod';

const mapped = z.union([z.string(), z.number(), z.boolean()]);

const mapping = z
  .strictObject({
    tags: z.array(z.string()).default([]).describe('Tag keys to map (globs).'),
    fields: z.array(z.string()).default([]).describe('Field keys to map (globs).'),
    dest: z
      .string()
      .min(1)
      .optional()
      .describe('Key to write the mapped value to (default: overwrite the source).'),
    default: mapped
      .optional()
      .describe('Value for source values missing from the table (default: leave them alone).'),
    value_mappings: z
      .record(z.string(), mapped)
      .default({})
      .describe('[processors.enum.mapping.value_mappings]: source value -> mapped value.'),
  })
  .refine((m) => m.tags.length + m.fields.length > 0, {
    message: 'a mapping needs tags or fields to apply to',
  });

/** Config of the enum processor. */
export const enumConfig = z.strictObject({
  mapping: z
    .array(mapping)
    .default([])
    .describe('[[processors.enum.mapping]] tables: tags/fields (globs), dest, default and value_mappings.'),
});

/** The parsed config of the enum processor. */
export type EnumConfig = z.output<typeof enumConfig>;
