import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { volumeHostPath } from './volumeHostPath.js';

describe('volumeHostPath', () => {
  const hostPaths: [string, string, Record<string, string>][] = [
    ['a bind of /etc (docker volume create -o type=none -o o=bind -o device=/etc)', 'local', { type: 'none', o: 'bind', device: '/etc' }],
    ['an rbind among other flags', 'local', { type: 'none', o: 'ro, rbind', device: '/srv' }],
    ['a bind flag with any type', 'local', { type: 'ext4', o: 'bind', device: 'x' }],
    ["the host's disk", 'local', { type: 'ext4', device: '/dev/sda1' }],
    ['a folder as device of type none', 'local', { type: 'none', device: '/var/lib/docker' }],
    ['an overlay over host folders', 'local', { type: 'overlay', device: 'overlay', o: 'lowerdir=/etc,upperdir=/tmp/u,workdir=/tmp/w' }],
    ['a CIFS share spelled as a host path', 'local', { type: 'cifs', device: '/mnt/share' }],
    ['a plugin given a host folder', 'local-persist', { mountpoint: '/etc' }],
  ];
  for (const [what, driver, options] of hostPaths) {
    it(`refuses ${what}`, () => {
      assert.ok(volumeHostPath(driver, options), JSON.stringify(options));
    });
  }

  const harmless: [string, string, Record<string, string>][] = [
    ['a plain local volume', 'local', {}],
    ['a quota', 'local', { size: '10G' }],
    ['tmpfs', 'local', { type: 'tmpfs', device: 'tmpfs', o: 'size=100m,uid=1000' }],
    ['an NFS share', 'local', { type: 'nfs', device: ':/export/data', o: 'addr=10.0.0.5,rw' }],
    ['a CIFS share', 'local', { type: 'cifs', device: '//fileserver/share', o: 'addr=10.0.0.6,username=u' }],
    ['a plugin with plain options', 'rexray', { size: '10' }],
  ];
  for (const [what, driver, options] of harmless) {
    it(`lets ${what} through`, () => {
      assert.equal(volumeHostPath(driver, options), undefined);
    });
  }
});
