/** What hubcheck can tell about the hub it judged: its name and launcher, and for a container the image and its digest. */

export interface HubIdentity {
  name: string;
  launcher: 'embedded' | 'external' | 'process' | 'container';
  /** The hub's version when it is known: the reference hub's is hubcheck's; an image's from its org.opencontainers.image.version label. */
  version?: string;
  /** container: the image as the descriptor names it, its local id (sha256 of its config) and its registry digests. */
  image?: { ref: string; id?: string; repoDigests?: string[] };
  /** process: the command line that started the hub (its environment is not recorded: it may hold secrets). */
  command?: string;
  /** What could not be found out, e.g. an image the engine would not describe. */
  notes?: string[];
}
