/* The empty program: what spawn_wait_empty spawns and startup_empty runs. */
int main(void)
{
    return 0;
}
