package versioner

// Fields lets the tests build the body json.Marshal would write from the
// same members Body writes, to check Body's own encoding against it.
var Fields = fields
