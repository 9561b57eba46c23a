// Names for services created without one, in the style of Docker's name generator
// ("adjective_scientist"); the caller retries on a collision.
const ADJECTIVES = [
  'admiring',
  'bold',
  'brave',
  'clever',
  'dazzling',
  'eager',
  'elegant',
  'festive',
  'gallant',
  'happy',
  'jolly',
  'keen',
  'laughing',
  'lucid',
  'modest',
  'nifty',
  'optimistic',
  'quirky',
  'relaxed',
  'serene',
  'sharp',
  'stoic',
  'tender',
  'vibrant',
  'wizardly',
  'zealous',
];
const SCIENTISTS = [
  'babbage',
  'curie',
  'darwin',
  'einstein',
  'euler',
  'faraday',
  'galileo',
  'hopper',
  'hypatia',
  'kepler',
  'lamport',
  'lovelace',
  'meitner',
  'newton',
  'noether',
  'pascal',
  'ritchie',
  'shannon',
  'thompson',
  'turing',
  'wozniak',
];

export function randomServiceName(random: () => number = Math.random): string {
  const pick = (list: string[]) => list[Math.floor(random() * list.length)]!;
  return `${pick(ADJECTIVES)}_${pick(SCIENTISTS)}`;
}
