int main() { return 0; }  // replaced by the CLI (src/app/cli.cpp) in the next step
