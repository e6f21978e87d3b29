"""hirelens infrastructure as code (AWS CDK): a thin stack, one construct per capability."""
