/**
 * viva-plugin-example: what an external plugin package exports. VIVA imports this module (named
 * in config by path or package name) and registers every plugin definition it exports.
 */
export { randomWalkInput } from './random_walk.ts';
export { uppercaseTagsProcessor } from './uppercase_tags.ts';
