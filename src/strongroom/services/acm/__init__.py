"""AWS Certificate Manager: a real CA, real DNS and e-mail validation, managed renewal, revocation."""
