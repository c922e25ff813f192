#include <gtest/gtest.h>

#include "shardstore/assert.h"

int main(int argc, char** argv) {
  shardstore::SetAssertMode(shardstore::AssertMode::kThrow);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
