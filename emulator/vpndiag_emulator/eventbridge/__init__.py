"""The EventBridge data plane: ``PutEvents`` to custom buses, stored for tests to read back."""
