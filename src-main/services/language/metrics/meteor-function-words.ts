/**
 * Function words for METEOR's content/function weighting (delta = 0.75 weighs content words 3:1).
 *
 * METEOR 1.5 ships its own English list (function/english.words, built from word frequencies in a large
 * monolingual corpus), which is not available offline. This is a hand-made list of English closed-class words
 * (articles, determiners, pronouns, prepositions, conjunctions, auxiliary and modal verbs, common adverbs)
 * plus punctuation tokens. Scores therefore differ slightly from METEOR 1.5 wherever the two lists disagree;
 * see docs/language.md. Pure: no Node imports.
 */
const WORDS = `
a an the this that these those some any each every either neither no both all another such what which whose
i me my mine myself you your yours yourself yourselves he him his himself she her hers herself it its itself
we us our ours ourselves they them their theirs themselves who whom one ones something anything nothing
about above across after against along among around as at before behind below beneath beside besides between
beyond but by despite down during except for from in inside into like near of off on onto out outside over
per since than through throughout till to toward towards under underneath unlike until up upon via with
within without
and or nor so yet if then else because although though while whereas whether unless once when where how why
be am is are was were been being have has had having do does did doing done will would shall should can could
may might must ought
not also just only very too quite rather more most less least much many few several other same own again
further here there now then still even ever already
. , ; : ! ? ' " - -- ( ) [ ] { } / \\ ...
`;

export const METEOR_FUNCTION_WORDS: ReadonlySet<string> = new Set(WORDS.split(/\s+/).filter((word) => word.length > 0));
