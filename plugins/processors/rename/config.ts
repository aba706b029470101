import { z } from 'zod';

const replacement = z
  .strictObject({
    measurement: z.string().min(1).optional().describe('Measurement name to replace.'),
    tag: z.string().min(1).optional().describe('Tag key to rename.'),
    field: z.string().min(1).optional().describe('Field key to rename.'),
    dest: z.string().min(1).describe('The new name.'),
  })
  .refine((r) => [r.measurement, r.tag, r.field].filter((v) => v !== undefined).length === 1, {
    message: 'each replace entry needs exactly one of measurement, tag or field',
  });

/** Config of the rename processor. */
export const renameConfig = z.strictObject({
  replace: z
    .array(replacement)
    .default([])
    .describe(
      'Replacements applied in order: [[processors.rename.replace]] with measurement, tag or field, and dest.',
    ),
});

/** The parsed config of the rename processor. */
export type RenameConfig = z.output<typeof renameConfig>;
