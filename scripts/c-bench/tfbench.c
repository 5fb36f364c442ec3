/*
 * Times SavedModels through TensorFlow's C API, outside the JVM: loads each model (tag "serve"),
 * feeds float32 random input [batch, example shape] to the input node and fetches the output
 * node, in interleaved rounds (every round runs each model once, in rotating order), and prints
 * the median and quartiles per model and batch size, and of the per-round ratio of the first
 * model's time to the second's ("ratio"); with --pairs, of each pair of models in the order
 * given (the first's time over the second's, "ratio0", "ratio1", ...). With --trivial it also
 * times a graph of one Identity op on the same input: the fixed cost of a TF_SessionRun call.
 * --input and --output name the tensors of the models given after them.
 *
 * Usage: tfbench --shape 28,28,1 --batches 1,32,256,1024 --rounds 200 [--trivial] [--pairs]
 *                [--input input:0] [--output logits:0] LABEL=DIR [[--input T] LABEL=DIR ...]
 * Built by scripts/build-c-bench.sh; the prototypes below are those of tensorflow/c/c_api.h
 * (TensorFlow 2.16), declared here because the TF-Java native jar ships the library without
 * headers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct TF_Status TF_Status;
typedef struct TF_Graph TF_Graph;
typedef struct TF_Session TF_Session;
typedef struct TF_SessionOptions TF_SessionOptions;
typedef struct TF_Operation TF_Operation;
typedef struct TF_OperationDescription TF_OperationDescription;
typedef struct TF_Tensor TF_Tensor;
typedef struct TF_Buffer {
  const void* data;
  size_t length;
  void (*data_deallocator)(void* data, size_t length);
} TF_Buffer;
typedef struct TF_Output {
  TF_Operation* oper;
  int index;
} TF_Output;
enum { TF_FLOAT = 1 };

extern TF_Status* TF_NewStatus(void);
extern int TF_GetCode(const TF_Status*);
extern const char* TF_Message(const TF_Status*);
extern TF_SessionOptions* TF_NewSessionOptions(void);
extern TF_Graph* TF_NewGraph(void);
extern TF_Session* TF_LoadSessionFromSavedModel(const TF_SessionOptions*, const TF_Buffer*,
    const char*, const char* const*, int, TF_Graph*, TF_Buffer*, TF_Status*);
extern TF_Session* TF_NewSession(TF_Graph*, const TF_SessionOptions*, TF_Status*);
extern TF_Operation* TF_GraphOperationByName(TF_Graph*, const char*);
extern TF_OperationDescription* TF_NewOperation(TF_Graph*, const char*, const char*);
extern void TF_SetAttrType(TF_OperationDescription*, const char*, int);
extern void TF_AddInput(TF_OperationDescription*, TF_Output);
extern TF_Operation* TF_FinishOperation(TF_OperationDescription*, TF_Status*);
extern TF_Tensor* TF_AllocateTensor(int, const int64_t*, int, size_t);
extern void* TF_TensorData(const TF_Tensor*);
extern void TF_DeleteTensor(TF_Tensor*);
extern void TF_SessionRun(TF_Session*, const TF_Buffer*, const TF_Output*, TF_Tensor* const*,
    int, const TF_Output*, TF_Tensor**, int, const TF_Operation* const*, int, TF_Buffer*,
    TF_Status*);

#define MAX_MODELS 33

typedef struct {
  const char* label;
  TF_Session* session;
  TF_Output in;
  TF_Output out;
} Model;

static void check(TF_Status* s, const char* what) {
  if (TF_GetCode(s) != 0) {
    fprintf(stderr, "tfbench: %s failed: %s\n", what, TF_Message(s));
    exit(2);
  }
}

static TF_Output output(TF_Graph* g, const char* name, const char* dir) {
  char op[512];
  int index = 0;
  snprintf(op, sizeof op, "%s", name);
  char* colon = strrchr(op, ':');
  if (colon != NULL) {
    index = atoi(colon + 1);
    *colon = '\0';
  }
  TF_Output o = {TF_GraphOperationByName(g, op), index};
  if (o.oper == NULL) {
    fprintf(stderr, "tfbench: %s has no node '%s': pass its tensor with --input/--output\n",
        dir, op);
    exit(2);
  }
  return o;
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp(const void* a, const void* b) {
  double x = *(const double*) a, y = *(const double*) b;
  return x < y ? -1 : x > y;
}

static double quantile(double* sorted, int n, double q) {
  double pos = q * (n - 1);
  int lo = (int) pos;
  int hi = lo + 1 < n ? lo + 1 : lo;
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

static double run(Model* m, TF_Tensor* x, TF_Status* s) {
  TF_Tensor* y = NULL;
  double t0 = now_ms();
  TF_SessionRun(m->session, NULL, &m->in, &x, 1, &m->out, &y, 1, NULL, 0, NULL, s);
  double t = now_ms() - t0;
  check(s, "TF_SessionRun");
  TF_DeleteTensor(y);
  return t;
}

int main(int argc, char** argv) {
  const char* in_name = "input:0";
  const char* out_name = "logits:0";
  int64_t example[8];
  int example_dims = 0;
  int batches[16];
  int nbatches = 0;
  int rounds = 200;
  int trivial = 0;
  int pairs = 0;
  Model models[MAX_MODELS];
  int nmodels = 0;
  TF_Status* s = TF_NewStatus();
  TF_SessionOptions* opts = TF_NewSessionOptions();
  const char* tags[] = {"serve"};
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--shape") && i + 1 < argc) {
      for (char* p = strtok(argv[++i], ","); p && example_dims < 8; p = strtok(NULL, ",")) {
        example[example_dims++] = atoll(p);
      }
    } else if (!strcmp(argv[i], "--batches") && i + 1 < argc) {
      for (char* p = strtok(argv[++i], ","); p && nbatches < 16; p = strtok(NULL, ",")) {
        batches[nbatches++] = atoi(p);
      }
    } else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
      rounds = atoi(argv[++i]);
    } else if (!strcmp(argv[i], "--input") && i + 1 < argc) {
      in_name = argv[++i];
    } else if (!strcmp(argv[i], "--output") && i + 1 < argc) {
      out_name = argv[++i];
    } else if (!strcmp(argv[i], "--trivial")) {
      trivial = 1;
    } else if (!strcmp(argv[i], "--pairs")) {
      pairs = 1;
    } else if (strchr(argv[i], '=') != NULL && nmodels < MAX_MODELS - 1) {
      char* eq = strchr(argv[i], '=');
      *eq = '\0';
      Model* m = &models[nmodels++];
      m->label = argv[i];
      TF_Graph* g = TF_NewGraph();
      m->session = TF_LoadSessionFromSavedModel(opts, NULL, eq + 1, tags, 1, g, NULL, s);
      check(s, eq + 1);
      m->in = output(g, in_name, eq + 1);
      m->out = output(g, out_name, eq + 1);
    } else {
      fprintf(stderr, "tfbench: unknown argument '%s'; usage: tfbench --shape 28,28,1 "
          "[--batches 1,32] [--rounds N] [--trivial] [--pairs] [--input T] [--output T] "
          "LABEL=DIR...\n",
          argv[i]);
      return 2;
    }
  }
  if (example_dims == 0 || rounds < 5 || (nmodels == 0 && !trivial)) {
    fprintf(stderr, "tfbench: pass --shape (the example shape), --rounds >= 5 and at least one "
        "LABEL=SAVED_MODEL_DIR or --trivial\n");
    return 2;
  }
  if (nbatches == 0) {
    batches[nbatches++] = 1;
  }
  if (trivial) {
    Model* m = &models[nmodels++];
    TF_Graph* g = TF_NewGraph();
    TF_OperationDescription* d = TF_NewOperation(g, "Placeholder", "x");
    TF_SetAttrType(d, "dtype", TF_FLOAT);
    TF_Output x = {TF_FinishOperation(d, s), 0};
    check(s, "Placeholder");
    d = TF_NewOperation(g, "Identity", "y");
    TF_AddInput(d, x);
    TF_Output y = {TF_FinishOperation(d, s), 0};
    check(s, "Identity");
    m->label = "identity";
    m->session = TF_NewSession(g, opts, s);
    check(s, "TF_NewSession");
    m->in = x;
    m->out = y;
  }
  printf("%-10s %-12s %10s %10s %10s\n", "batch", "model", "median ms", "q25 ms", "q75 ms");
  double* t = malloc(sizeof(double) * rounds * nmodels);
  srand(7);
  for (int b = 0; b < nbatches; b++) {
    int64_t dims[9];
    dims[0] = batches[b];
    size_t n = batches[b];
    for (int i = 0; i < example_dims; i++) {
      dims[i + 1] = example[i];
      n *= example[i];
    }
    TF_Tensor* x = TF_AllocateTensor(TF_FLOAT, dims, example_dims + 1, n * sizeof(float));
    float* v = TF_TensorData(x);
    for (size_t i = 0; i < n; i++) {
      v[i] = (float) rand() / RAND_MAX;
    }
    for (int w = 0; w < (rounds < 50 ? 2 : 10); w++) { /* warm-up */
      for (int m = 0; m < nmodels; m++) {
        run(&models[m], x, s);
      }
    }
    for (int r = 0; r < rounds; r++) {
      for (int k = 0; k < nmodels; k++) {
        int m = (k + r) % nmodels; /* rotate who goes first */
        t[m * rounds + r] = run(&models[m], x, s);
      }
    }
    int timed = nmodels - trivial; /* the SavedModels, before the identity graph */
    for (int p = 0; p + 1 < timed && (pairs || p == 0); p += 2) {
      /* per-round ratio of the pair's first model's time to its second's */
      double* ratio = malloc(sizeof(double) * rounds);
      for (int r = 0; r < rounds; r++) {
        ratio[r] = t[p * rounds + r] / t[(p + 1) * rounds + r];
      }
      qsort(ratio, rounds, sizeof(double), cmp);
      char label[16];
      if (pairs) {
        snprintf(label, sizeof label, "ratio%d", p / 2);
      } else {
        snprintf(label, sizeof label, "ratio");
      }
      printf("%-10d %-12s %10.4f %10.4f %10.4f\n", batches[b], label, quantile(ratio, rounds,
          0.5), quantile(ratio, rounds, 0.25), quantile(ratio, rounds, 0.75));
      free(ratio);
    }
    for (int m = 0; m < nmodels; m++) {
      double* tm = t + m * rounds;
      qsort(tm, rounds, sizeof(double), cmp);
      printf("%-10d %-12s %10.4f %10.4f %10.4f\n", batches[b], models[m].label,
          quantile(tm, rounds, 0.5), quantile(tm, rounds, 0.25), quantile(tm, rounds, 0.75));
    }
    fflush(stdout);
    TF_DeleteTensor(x);
  }
  free(t);
  return 0;
}
