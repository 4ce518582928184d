int main() { return 0; }  // replaced by the commerce-sim CLI
