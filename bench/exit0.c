/* The benchmark's plugin: a static binary that exits 0 at once. */
int main(void) { return 0; }
