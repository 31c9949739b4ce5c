// `URL` names files throughout Ember's API (`model.save(to: URL(fileURLWithPath: ...))`), so
// `import Ember` brings it along, as API.md's blocks expect.
@_exported import struct Foundation.URL
