// SPDX-License-Identifier: GPL-2.0
/*
 * soak: how much CPU time is left over, measured by spinning in it.
 *
 *   soak SECONDS
 *
 * Runs one SCHED_IDLE thread pinned to each online CPU, each counting loop
 * iterations for SECONDS, and prints the iterations per second of all of
 * them together. Whatever else runs (softirqs, kworkers, a reader) takes its
 * time from these threads, so the drop in their count between two runs is
 * the CPU the difference between the runs costs, exactly, where the tick's
 * sampled accounting (/proc/stat) aliases with a 1 ms timer. The classic
 * "CPU soaker" of netperf's looper.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_bool stop;

struct soaker {
	pthread_t thread;
	int cpu;
	unsigned long long loops;
};

static void *soak(void *arg)
{
	struct soaker *s = arg;
	struct sched_param sp = { 0 };
	cpu_set_t set;
	volatile unsigned long long n = 0;

	CPU_ZERO(&set);
	CPU_SET(s->cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) ||
	    sched_setscheduler(0, SCHED_IDLE, &sp)) {
		fprintf(stderr, "soak: cannot pin to CPU %d at SCHED_IDLE\n", s->cpu);
		exit(1);
	}
	while (!atomic_load_explicit(&stop, memory_order_relaxed))
		n++;
	s->loops = n;
	return NULL;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1, len;
	struct soaker *s;
	unsigned long long total = 0;
	double secs;
	long ncpu, i;

	if (argc != 2 || (secs = atof(argv[1])) <= 0) {
		fprintf(stderr, "usage: soak SECONDS\n");
		return 2;
	}
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	s = calloc(ncpu, sizeof(*s));
	if (!s)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < ncpu; i++) {
		s[i].cpu = i;
		if (pthread_create(&s[i].thread, NULL, soak, &s[i])) {
			fprintf(stderr, "soak: cannot start a thread\n");
			return 1;
		}
	}
	len.tv_sec = (time_t)secs;
	len.tv_nsec = (long)((secs - len.tv_sec) * 1e9);
	nanosleep(&len, NULL);
	atomic_store(&stop, true);
	for (i = 0; i < ncpu; i++) {
		pthread_join(s[i].thread, NULL);
		total += s[i].loops;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%.0f %ld\n", total / secs, ncpu);
	free(s);
	return 0;
}
