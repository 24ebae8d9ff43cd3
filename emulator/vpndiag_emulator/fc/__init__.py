"""The Function Compute 2.0 invoke API (``POST /2016-08-15/services/{s}/functions/{f}/invocations``)."""
